import Geometry
import Testing

/// `AnimatedTransform` against Mitsuba 3's interpolation computed by Dr.Jit itself
/// (`transform_decompose` of each key, `lerp` of scale and translation, `slerp`
/// of the rotation, `transform_compose`; tools/motion_references.py `at_time`),
/// on three keys: a look-at, a non-uniform scale under a 100° rotation about
/// (1, 1, 0) / √2 with a translation, and another look-at.
@Suite struct AnimatedTransformTests {
    static let keys: [(time: Double, matrix: Matrix4)] = [
        (0, Matrix4.lookAt(origin: Vec3(3, 4, 2), target: Vec3(0, 1, 0), up: Vec3(0, 1, 0))!),
        (0.5, Matrix4.translation(Vec3(1, -2, 0.5)) * Matrix4.rotation(axis: Vec3(0.5.squareRoot(), 0.5.squareRoot(), 0), angleDegrees: 100)
            * Matrix4.scaling(Vec3(0.7, 1.2, 0.5))),
        (1, Matrix4.lookAt(origin: Vec3(1, 3, 2), target: Vec3(0, 1, 0), up: Vec3(0, 1, 0))!),
    ]

    /// Rows 0–2 of the 4×4 matrix at each time, as Dr.Jit computes them (single precision).
    static let drJit: [(Double, [Double])] = [
        (-0.5, [-0.5547003, -0.5321812, -0.6396022, 3.0000000, 0.0000000, 0.7687061, -0.6396022, 4.0000000,
                0.8320503, -0.3547875, -0.4264015, 2.0000000]),
        (0.2, [-0.8226079, 0.3789016, -0.0445302, 2.2000000, 0.2962434, 0.8909121, -0.3632588, 1.6000001,
               -0.0997811, -0.4786537, -0.7113791, 1.4000001]),
        (0.5, [0.2892232, 0.7041889, 0.3481822, 1.0000000, 0.4107768, 0.4958111, -0.3481822, -2.0000000,
               -0.4874550, 0.8356373, -0.0868241, 0.5000000]),
        (0.8, [-0.7469630, 0.5240055, 0.1679863, 1.0000000, 0.2765462, 0.8450432, -0.4300838, 1.0000001,
               -0.3741241, -0.4215692, -0.6533062, 1.4000001]),
        (1.7, [-0.8944271, -0.2981425, -0.3333334, 1.0000000, -0.0000001, 0.7453560, -0.6666667, 3.0000000,
               0.4472137, -0.5962848, -0.6666667, 2.0000000]),
    ]

    @Test func matchesDrJitInterpolation() throws {
        let a = try AnimatedTransform(keys: Self.keys)
        for (time, expected) in Self.drJit {
            let m = a.transform(at: time).m
            for k in 0..<12 { #expect(abs(m[k] - expected[k]) < 3e-6, "time \(time), entry \(k): \(m[k]) vs \(expected[k])") }
        }
    }

    @Test func reproducesItsKeysAndInverts() throws {
        let a = try AnimatedTransform(keys: Self.keys)
        for key in Self.keys {
            let t = a.transform(at: key.time)
            for r in 0..<3 { for c in 0..<4 { #expect(abs(t.m[4 * r + c] - key.matrix[r, c]) < 1e-12) } }
            let p = Vec3(0.3, -1.2, 2.5)
            #expect((t.inverse.point(t.point(p)) - p).length < 1e-12)
        }
    }

    @Test func refusesShear() {
        // Scale after rotation: the symmetric factor is not diagonal.
        let sheared = Matrix4.scaling(Vec3(1, 2, 1)) * Matrix4.rotation(axis: Vec3(0, 0, 1), angleDegrees: 30)
        #expect(throws: AnimatedTransform.KeyError.self) {
            _ = try AnimatedTransform(keys: [(0, .identity), (1, sheared)])
        }
    }

    @Test func boundsHoldEveryTime() throws {
        let a = try AnimatedTransform(keys: Self.keys)
        let box = Bounds3(lower: Vec3(-1, -1, -1), upper: Vec3(1, 1, 1))
        let b = a.bounds(of: box)
        for k in 0...1000 {
            let t = a.transform(at: Double(k) / 1000)
            for c in 0..<8 {
                let p = t.point(Vec3(c & 1 == 0 ? -1 : 1, c & 2 == 0 ? -1 : 1, c & 4 == 0 ? -1 : 1))
                #expect(p.x >= b.lower.x && p.y >= b.lower.y && p.z >= b.lower.z)
                #expect(p.x <= b.upper.x && p.y <= b.upper.y && p.z <= b.upper.z)
            }
        }
    }
}
