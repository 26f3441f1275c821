import Autodiff

extension BVH {
    /// A node of the 4-wide hierarchy that traversal walks: the boxes of up to
    /// four children in structure-of-arrays form, so that one ray is tested
    /// against all four with single-precision `SIMD4` arithmetic (Wald et al.
    /// 2008, "Getting Rid of Packets"; Embree's BVH4). Unused lanes hold an
    /// empty box (lower +∞, upper −∞), which no ray hits. 112 bytes: the six
    /// face arrays one after the other from offset 0, in this order (the
    /// traversal reads them at byte offsets, `WideRay`), then the children.
    @frozen
    public struct WideNode: Sendable {
        public var lowerX: SIMD4<Float>, upperX: SIMD4<Float>
        public var lowerY: SIMD4<Float>, upperY: SIMD4<Float>
        public var lowerZ: SIMD4<Float>, upperZ: SIMD4<Float>
        /// Per lane: an interior child's index in `wide`, or `leafFlag` | the
        /// leaf's index in `wideLeaves`.
        public var child: SIMD4<UInt32>

        @inlinable init() {
            lowerX = SIMD4(repeating: .infinity); lowerY = lowerX; lowerZ = lowerX
            upperX = SIMD4(repeating: -.infinity); upperY = upperX; upperZ = upperX
            child = .zero
        }

        /// Lane `i` holds the child `box` (a binary node's).
        mutating func set(_ i: Int, box: FloatBox, child c: UInt32) {
            lowerX[i] = box.lx; lowerY[i] = box.ly; lowerZ[i] = box.lz
            upperX[i] = box.ux; upperY[i] = box.uy; upperZ[i] = box.uz
            child[i] = c
        }
    }

    /// Marks a `WideNode.child` lane (and a stack entry) that is a leaf.
    @inlinable public static var leafFlag: UInt32 { 1 << 31 }

    /// One entry of the wide traversal's stack (8 bytes): a child (as in
    /// `WideNode.child`) and the distance at which the ray enters its box.
    @frozen @usableFromInline
    struct WideEntry {
        @usableFromInline var child: UInt32
        @usableFromInline var tNear: Float
        @inlinable init(child: UInt32, tNear: Float) { self.child = child; self.tNear = tNear }
    }

    /// A ray's origin and inverse direction splatted over four lanes, with,
    /// per axis, the byte offsets in a `WideNode` of the boxes' faces it
    /// enters and leaves through (the lower face's for a positive direction):
    /// chosen once per ray, not per node or lane (Embree's near/far offsets).
    @frozen @usableFromInline
    struct WideRay {
        @usableFromInline let ox: SIMD4<Float>, oy: SIMD4<Float>, oz: SIMD4<Float>
        @usableFromInline let ix: SIMD4<Float>, iy: SIMD4<Float>, iz: SIMD4<Float>
        @usableFromInline let nearX: Int, farX: Int, nearY: Int, farY: Int, nearZ: Int, farZ: Int
        @inlinable @inline(__always)
        init(_ r: RayBox) {
            ox = SIMD4(repeating: r.ox); oy = SIMD4(repeating: r.oy); oz = SIMD4(repeating: r.oz)
            ix = SIMD4(repeating: r.ix); iy = SIMD4(repeating: r.iy); iz = SIMD4(repeating: r.iz)
            let lane = MemoryLayout<SIMD4<Float>>.stride
            // lowerX, upperX, lowerY, upperY, lowerZ, upperZ lie one after the other from offset 0.
            nearX = r.nx ? lane : 0; farX = lane - nearX
            nearY = (r.ny ? 3 : 2) * lane; farY = 5 * lane - nearY
            nearZ = (r.nz ? 5 : 4) * lane; farZ = 9 * lane - nearZ
        }
    }

    /// Lane-wise `Swift.max(a, b)`: `b` where `b > a`, else `a` (so a NaN in `b` leaves `a`).
    @inlinable @inline(__always)
    static func laneMax(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a.replacing(with: b, where: b .> a) }
    /// Lane-wise `Swift.min(a, b)`: `b` where `b < a`, else `a`.
    @inlinable @inline(__always)
    static func laneMin(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a.replacing(with: b, where: b .< a) }

    /// Slab test of a wide node's four boxes in single precision: each lane's
    /// entry distance, and a bit mask of the lanes whose box the ray meets before `tMax`.
    /// Per axis the entry distance from the face the ray enters through (the
    /// lower one for a positive direction) and the exit distance from the other
    /// (Williams et al. 2005), then
    /// tNear = max(max(max(0, in.x), in.y), in.z) ≤ tFar = min(min(min(tMax, out.x), out.y), out.z) · (1 + 4e-7):
    /// `tFar` is widened by a few ulps so that rounding never culls a box the ray touches.
    /// A ray with a zero direction component whose origin lies in one of that
    /// axis's face planes gives 0 · ∞ = NaN for that face; `laneMax(a, NaN)` and
    /// `laneMin(a, NaN)` return a, so starting from 0 and tMax ignores the NaN
    /// whichever axis, face and sign of zero it is: the ray touches the box, which is kept.
    @inlinable @inline(__always)
    static func hits(_ n: UnsafePointer<WideNode>, _ r: WideRay, _ tMax: Float) -> (tNear: SIMD4<Float>, hit: UInt32) {
        let f = UnsafeRawPointer(n)
        let inX = (f.load(fromByteOffset: r.nearX, as: SIMD4<Float>.self) - r.ox) * r.ix
        let outX = (f.load(fromByteOffset: r.farX, as: SIMD4<Float>.self) - r.ox) * r.ix
        let inY = (f.load(fromByteOffset: r.nearY, as: SIMD4<Float>.self) - r.oy) * r.iy
        let outY = (f.load(fromByteOffset: r.farY, as: SIMD4<Float>.self) - r.oy) * r.iy
        let inZ = (f.load(fromByteOffset: r.nearZ, as: SIMD4<Float>.self) - r.oz) * r.iz
        let outZ = (f.load(fromByteOffset: r.farZ, as: SIMD4<Float>.self) - r.oz) * r.iz
        let tNear = laneMax(laneMax(laneMax(.zero, inX), inY), inZ)
        let tFar = laneMin(laneMin(laneMin(SIMD4(repeating: tMax), outX), outY), outZ)
        let hit = tNear .<= tFar * 1.000_000_4
        // One bit a lane (lane i is bit i), so that the caller visits only the
        // lanes hit: the mask's all-ones lanes select their bit (and, unlike a
        // `replacing(with:where:)`, compile to an `and` and two `or`s).
        let bits = SIMD4<UInt32>(1, 2, 4, 8) & SIMD4<UInt32>(truncatingIfNeeded: unsafeBitCast(hit, to: SIMD4<Int32>.self))
        return (tNear, bits[0] | bits[1] | bits[2] | bits[3])
    }
}
