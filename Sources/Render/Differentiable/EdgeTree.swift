import Foundation
import Geometry

/// A bounding volume hierarchy over the mesh edges that can be visibility
/// discontinuities, for choosing a secondary edge as seen from a shading point
/// by traversal, O(log E), instead of scanning every edge (Li, Aittala, Durand
/// and Lehtinen 2018, "Differentiable Monte Carlo Ray Tracing through Edge
/// Sampling", section 5.2; the importance of a node from its bounds follows the
/// light hierarchy of Conty Estevez and Kulla 2018 and pbrt-v4's
/// `BVHLightSampler`).
///
/// Each node keeps its box (world space), the total length of its edges, a
/// cone bounding both face normals of its edges whose candidacy depends on the
/// viewpoint (meshes with shading normals: silhouettes between a front- and a
/// back-facing triangle), and whether it holds an edge that is a candidate
/// from everywhere (a boundary edge, an edge of more than two triangles, a
/// crease of a mesh without shading normals). Edges that are candidates from
/// nowhere (between coplanar triangles of a mesh without shading normals) are
/// left out. The top levels split the edges by shape, so that no node mixes
/// the edges of two shapes (a floor's few long boundary edges in a node of
/// a detailed mesh's short ones made its box, and so its importance, that of
/// the floor; the walk then reached the mesh's edges there, and the floor's, a
/// billion times less often than their weight asks, docs/results.md).
/// `EdgeTree+Sampling.swift` walks it.
struct EdgeTree {
    struct Node {
        /// The box of the node's edges (world space).
        var lo: Vec3, hi: Vec3
        /// The total length of its edges (world units).
        var length: Double
        /// The unit axis of a cone holding both face normals of every
        /// view-dependent edge below, and the cosine of its half-angle
        /// (−1: no bound, or no such edge).
        var axis: Vec3, cosSpread: Double
        /// The half-angle itself (radians), acos(`cosSpread`).
        var spread: Double
        /// Whether some edge below is a candidate from every viewpoint.
        var always: Bool
        /// The shape of every edge below; −1 when they belong to several.
        var shape: Int
        /// An interior node's second child (the first is the next node); −1 for a leaf.
        var second: Int
        /// A leaf's edges: `order[start ..< start + count]`.
        var start: Int, count: Int
    }

    /// Depth first, the first child right after its parent.
    private(set) var nodes: ContiguousArray<Node> = []
    /// Indices into the pass's edges, leaf by leaf.
    private(set) var order: ContiguousArray<Int> = []
    /// Each node's parent (−1 for the root).
    private(set) var parent: ContiguousArray<Int> = []
    /// The leaf holding each of the pass's edges (−1: not in the tree).
    private(set) var leafOfEdge: [Int] = []
    /// The roots of the one-shape subtrees (the highest nodes whose edges all belong to one shape).
    private(set) var shapeRoots: [Int] = []
    /// At most this many edges in a leaf.
    static let leafSize = 4

    /// One edge as the build sees it.
    private struct Item {
        var edge: Int, shape: Int
        var lo: Vec3, hi: Vec3, centroid: Vec3
        var length: Double
        /// Both face normals when its candidacy depends on the viewpoint; nil: a candidate from everywhere.
        var normals: (Vec3, Vec3)?
    }

    /// The tree over `edges` of `scene` (the primal scene of one boundary pass).
    init(scene: Scene<Double>, edges: [MeshEdge]) {
        var items = [Item]()
        items.reserveCapacity(edges.count)
        for (i, e) in edges.enumerated() {
            guard case .mesh(let m) = scene.shapes[e.shape].geometry else { continue }
            let a = scene.shapes[e.shape].vertex(e.v0), b = scene.shapes[e.shape].vertex(e.v1)
            var normals: (Vec3, Vec3)? = nil
            // As `isSilhouette` decides.
            if e.f1 >= 0 {
                let n0 = scene.faceNormal(e.shape, m, e.f0), n1 = scene.faceNormal(e.shape, m, e.f1)
                if m.normals == nil {
                    if !(dot(n0, n1) < 1 - 1e-6) { continue }
                } else {
                    normals = (n0, n1)
                }
            }
            items.append(Item(edge: i, shape: e.shape, lo: min(a, b), hi: max(a, b), centroid: (a + b) * 0.5, length: (b - a).length, normals: normals))
        }
        nodes.reserveCapacity(2 * items.count / Self.leafSize + 1)
        order.reserveCapacity(items.count)
        leafOfEdge = [Int](repeating: -1, count: edges.count)
        var permutation = Array(items.indices)
        if !items.isEmpty { build(items, &permutation, 0..<items.count, parent: -1) }
    }

    /// Builds the node over the items `permutation[range]` and those below it (between
    /// shapes while it holds several, at the shape boundary nearest the middle;
    /// then median splits along the longest axis of the edges' midpoints);
    /// returns its index. The splits reorder `permutation`, not the items (moving
    /// the items themselves took 15 % of a gradient's instructions).
    @discardableResult
    private mutating func build(_ items: [Item], _ permutation: inout [Int], _ range: Range<Int>, parent up: Int) -> Int {
        var lo = Vec3(repeating: .infinity), hi = Vec3(repeating: -.infinity)
        var cLo = lo, cHi = hi
        var length = 0.0, always = false
        var sum = Vec3.zero, viewDependent = false
        let first = items[permutation[range.lowerBound]].shape
        let shape = permutation[range].allSatisfy { items[$0].shape == first } ? first : -1
        for j in range {
            let it = items[permutation[j]]
            lo = min(lo, it.lo); hi = max(hi, it.hi)
            cLo = min(cLo, it.centroid); cHi = max(cHi, it.centroid)
            length += it.length
            if let (n0, n1) = it.normals { sum += n0 + n1; viewDependent = true } else { always = true }
        }
        // The normal cone: the mean direction and the widest normal from it.
        var axis = Vec3(0, 0, 1), cosSpread = -1.0
        if viewDependent, sum.length > 1e-9 {
            axis = sum.normalized
            cosSpread = 1
            for j in range {
                if let (n0, n1) = items[permutation[j]].normals { cosSpread = min(cosSpread, dot(axis, n0), dot(axis, n1)) }
            }
        }
        let index = nodes.count
        nodes.append(Node(lo: lo, hi: hi, length: length, axis: axis, cosSpread: cosSpread, spread: acos(min(cosSpread, 1)), always: always, shape: shape,
                          second: -1, start: order.count, count: range.count))
        parent.append(up)
        if shape >= 0 && (up < 0 || nodes[up].shape < 0) { shapeRoots.append(index) }
        if shape < 0 {
            permutation[range].sort { (items[$0].shape, $0) < (items[$1].shape, $1) }
            var mid = range.lowerBound + 1, best = Int.max
            for j in range.lowerBound + 1..<range.upperBound where items[permutation[j]].shape != items[permutation[j - 1]].shape {
                let off = abs(2 * j - range.lowerBound - range.upperBound)
                if off < best { best = off; mid = j }
            }
            build(items, &permutation, range.lowerBound..<mid, parent: index)
            nodes[index].second = build(items, &permutation, mid..<range.upperBound, parent: index)
            nodes[index].count = 0
            return index
        }
        let extent = cHi - cLo
        if range.count <= Self.leafSize || !(extent.maxComponent > 0) && range.count <= 8 * Self.leafSize {
            for j in range {
                let edge = items[permutation[j]].edge
                order.append(edge)
                leafOfEdge[edge] = index
            }
            return index
        }
        let axisIndex = extent.x >= extent.y && extent.x >= extent.z ? 0 : (extent.y >= extent.z ? 1 : 2)
        func key(_ v: Vec3) -> Double { axisIndex == 0 ? v.x : (axisIndex == 1 ? v.y : v.z) }
        // By the midpoints' coordinate along the axis (ties by index: the order is deterministic).
        var keyed = permutation[range].map { (key: key(items[$0].centroid), item: $0) }
        keyed.sort { ($0.key, $0.item) < ($1.key, $1.item) }
        for (j, k) in zip(range, keyed) { permutation[j] = k.item }
        let mid = range.lowerBound + range.count / 2
        build(items, &permutation, range.lowerBound..<mid, parent: index)
        nodes[index].second = build(items, &permutation, mid..<range.upperBound, parent: index)
        nodes[index].count = 0
        return index
    }
}
