/// DiffRay: a differentiable path tracer. This umbrella module re-exports
/// every library module, so `import DiffRay` is all a user needs.
@_exported import Autodiff
@_exported import ImageIO
@_exported import Geometry
@_exported import SceneFile
@_exported import Render
@_exported import Learning
@_exported import Control
@_exported import Pixels
@_exported import Cluster
