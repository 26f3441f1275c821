// SceneFile module.
