import Autodiff

/// The seed's trebuchet (the Julia package Trebuchet.jl, equations of motion
/// from virtualtrebuchet.com): a hinged counterweight, an arm and a sling.
///
/// Three stages, each integrated by explicit Euler at `dt` = 1/60 s:
/// 1. *ground*: the projectile slides along the ground while the arm turns,
///    until the normal force m·g − T·cos θ falls to zero (the sling tension T
///    is estimated from the sling end's acceleration over the last step);
/// 2. *hang*: the sling swings freely, until the direction of the sling end's
///    velocity equals the release angle;
/// 3. *flight*: a point mass with quadratic drag relative to the wind, until
///    it reaches the ground (y + pivot height = 0).
///
/// Every stage switch and the landing are located inside their step by linear
/// interpolation of the event function, the state is interpolated to that
/// instant and the rest of the step is integrated with the next stage's
/// equations. Distance is therefore a continuous, piecewise-smooth function of
/// the inputs, and its derivatives (forward or reverse mode) are those of the
/// simulation. Positions are relative to the pivot, in metres.
public enum Trebuchet {
    public static let footInMetres = 0.3048
    public static let poundInKilograms = 0.45359237

    /// pivot height, long arm, short arm, weight arm, sling, weight radius, projectile radius (m)
    public static let pivotHeight = 5.0 * footInMetres
    public static let longArm = 6.792 * footInMetres
    public static let shortArm = 1.75 * footInMetres
    public static let weightArm = 2.0 * footInMetres
    public static let sling = 6.833 * footInMetres
    public static let projectileRadius = 0.1245 * footInMetres
    /// Masses (kg).
    public static let projectileMass = 0.328 * poundInKilograms
    public static let armMass = 10.65 * poundInKilograms
    /// Arm inertia m (b + c)² / 12 and counterweight inertia 1 lb·ft² (kg·m²).
    public static let armInertia = armMass * (longArm + shortArm) * (longArm + shortArm) / 12
    public static let weightInertia = 1.0 * poundInKilograms * footInMetres * footInMetres
    public static let airDensity = 1.0
    public static let dragCoefficient = 1.0
    public static let gravity = 9.80665
    /// Integration step (s).
    public static let dt = 1.0 / 60
    /// Safety limits on each stage's duration (s); a shot that reaches one ends there.
    public static let stageLimits = (ground: 5.0, hang: 5.0, flight: 60.0)

    /// The stages of a shot.
    public enum Stage: Int, Sendable { case ground, hang, flight, landed }

    /// Arm, counterweight and sling angles and rates (stages 1–2), radians.
    public struct ArmState<T: Real> {
        public var aq, wq, sq, aw, ww, sw: T
        @inlinable public init(aq: T, wq: T, sq: T, aw: T, ww: T, sw: T) {
            self.aq = aq; self.wq = wq; self.sq = sq; self.aw = aw; self.ww = ww; self.sw = sw
        }
        /// The state at rest before the shot.
        @inlinable public static var initial: ArmState {
            let theta = Double.asin(Trebuchet.pivotHeight / Trebuchet.longArm)
            let aq = Double.pi / 2 + theta
            return ArmState(aq: T(aq), wq: T(-aq), sq: T(Double.pi - theta), aw: 0, ww: 0, sw: 0)
        }
        @inlinable func adding(_ d: ArmState, times h: T) -> ArmState {
            ArmState(aq: aq + h * d.aq, wq: wq + h * d.wq, sq: sq + h * d.sq,
                     aw: aw + h * d.aw, ww: ww + h * d.ww, sw: sw + h * d.sw)
        }
        @inlinable func interpolated(to b: ArmState, _ f: T) -> ArmState {
            ArmState(aq: aq + f * (b.aq - aq), wq: wq + f * (b.wq - wq), sq: sq + f * (b.sq - sq),
                     aw: aw + f * (b.aw - aw), ww: ww + f * (b.ww - ww), sw: sw + f * (b.sw - sw))
        }
    }

    /// Projectile position and velocity (stage 3), metres and m/s relative to the pivot.
    public struct Projectile<T: Real> {
        public var x, y, vx, vy: T
        @inlinable public init(x: T, y: T, vx: T, vy: T) { self.x = x; self.y = y; self.vx = vx; self.vy = vy }
    }

    /// Distance (m) from the pivot at which the projectile lands.
    ///
    /// - Parameters:
    ///   - wind: wind speed (m/s, positive blows towards +x, the direction of the shot)
    ///   - angle: release angle (degrees above the horizontal)
    ///   - weight: counterweight mass (lb)
    @inlinable
    public static func shoot<T: Real>(wind: T, angle: T, weight: T) -> T {
        simulate(wind: wind, angle: angle, weight: weight, record: nil).distance
    }

    /// The result of one simulated shot.
    public struct Shot<T: Real> {
        public var distance: T
        public var releasePosition: Projectile<T>
        public var flightTime: T
        public var steps: Int
        @inlinable public init(distance: T, releasePosition: Projectile<T>, flightTime: T, steps: Int) {
            self.distance = distance; self.releasePosition = releasePosition; self.flightTime = flightTime; self.steps = steps
        }
    }

    /// Sling-end position (m) for an arm state.
    @inlinable
    public static func slingEnd<T: Real>(_ s: ArmState<T>) -> (x: T, y: T) {
        let b = T(longArm), e = T(sling)
        let a1 = T(Double.pi / 2) + s.aq, a2 = a1 + s.sq
        return (b * cos(a1) + e * cos(a2), b * sin(a1) + e * sin(a2))
    }

    /// Sling-end velocity (m/s) for an arm state.
    @inlinable
    public static func slingVelocity<T: Real>(_ s: ArmState<T>) -> (x: T, y: T) {
        let b = T(longArm), e = T(sling)
        let r1 = -e * (s.sw + s.aw), a1 = s.sq + s.aq
        let r2 = -b * s.aw
        return (r1 * cos(a1) + r2 * cos(s.aq), r1 * sin(a1) + r2 * sin(s.aq))
    }

    /// Time derivative of the arm state while the projectile slides on the ground.
    @inlinable
    public static func groundDerivative<T: Real>(_ s: ArmState<T>, weightMass mW: T) -> ArmState<T> {
        let LAl = T(longArm), LAs = T(shortArm), LW = T(weightArm), LS = T(sling)
        let mA = T(armMass), mP = T(projectileMass)
        // The seed binds the arm's inertia slot to the weight's and vice versa
        // (`IA3, IW3 = i.iw, i.ia`); kept so the distances match the seed's.
        let IA3 = T(weightInertia), IW3 = T(armInertia)
        let LAcg = (LAl - LAs) / 2
        let g = T(gravity)
        let Aq = s.aq, Wq = s.wq, Sq = s.sq, Aw = s.aw, Ww = s.ww, Sw = s.sw
        let sAq = sin(Aq), cAq = cos(Aq), sSq = sin(Sq), cSq = cos(Sq), sWq = sin(Wq), cWq = cos(Wq)
        let sAS = sin(Aq + Sq), cAS = cos(Aq + Sq), sAW = sin(Aq + Wq)
        let cot = cAS / sAS
        let k = cot + LAl * cAq / (LS * sAS)
        let M11 = -mP * LAl * LAl * (-1 + 2 * sAq * cSq / sAS) + IA3 + IW3 + mA * LAcg * LAcg
            + mP * LAl * LAl * sAq * sAq / (sAS * sAS) + mW * (LAs * LAs + LW * LW + 2 * LAs * LW * cWq)
        let M12 = IW3 + LW * mW * (LW + LAs * cWq)
        let M21 = M12
        let M22 = IW3 + mW * LW * LW
        let q = cot * Sw * (Sw + 2 * Aw) + k * Aw * Aw
        let r1 = g * LAcg * mA * sAq
            + LAl * LS * mP * (sSq * (Aw + Sw) * (Aw + Sw) + cSq * q)
            + LAl * mP * sAq * (LAl * sSq * Aw * Aw - LS * q) / sAS
            - g * mW * (LAs * sAq + LW * sAW)
            - LAs * LW * mW * sWq * (Aw * Aw - (Aw + Ww) * (Aw + Ww))
        let r2 = -LW * mW * (g * sAW + LAs * sWq * Aw * Aw)
        let det = M11 * M22 - M12 * M21
        let dAw = (r1 * M22 - r2 * M12) / det
        let dWw = -(r1 * M21 - r2 * M11) / det
        let dSw = -cot * Sw * (Sw + 2 * Aw) - k * Aw * Aw - (LAl * sAq + LS * sAS) * dAw / (LS * sAS)
        return ArmState(aq: Aw, wq: Ww, sq: Sw, aw: dAw, ww: dWw, sw: dSw)
    }

    /// Time derivative of the arm state while the projectile hangs in the sling.
    @inlinable
    public static func hangDerivative<T: Real>(_ s: ArmState<T>, weightMass mW: T) -> ArmState<T> {
        let LAl = T(longArm), LAs = T(shortArm), LW = T(weightArm), LS = T(sling)
        let mA = T(armMass), mP = T(projectileMass)
        let IA3 = T(weightInertia), IW3 = T(armInertia)  // as the seed binds them (see above)
        let LAcg = (LAl - LAs) / 2
        let g = T(gravity)
        let Aq = s.aq, Wq = s.wq, Sq = s.sq, Aw = s.aw, Ww = s.ww, Sw = s.sw
        let sAq = sin(Aq), sSq = sin(Sq), cSq = cos(Sq), sWq = sin(Wq), cWq = cos(Wq)
        let sAS = sin(Aq + Sq), sAW = sin(Aq + Wq)
        let M11 = IA3 + IW3 + mA * LAcg * LAcg + mP * (LAl * LAl + LS * LS + 2 * LAl * LS * cSq)
            + mW * (LAs * LAs + LW * LW + 2 * LAs * LW * cWq)
        let M12 = IW3 + LW * mW * (LW + LAs * cWq)
        let M13 = LS * mP * (LS + LAl * cSq)
        let M21 = M12
        let M22 = IW3 + mW * LW * LW
        let M31 = M13
        let M33 = mP * LS * LS
        let r1 = g * LAcg * mA * sAq + g * mP * (LAl * sAq + LS * sAS) - g * mW * (LAs * sAq + LW * sAW)
            - LAl * LS * mP * sSq * (Aw * Aw - (Aw + Sw) * (Aw + Sw))
            - LAs * LW * mW * sWq * (Aw * Aw - (Aw + Ww) * (Aw + Ww))
        let r2 = -LW * mW * (g * sAW + LAs * sWq * Aw * Aw)
        let r3 = LS * mP * (g * sAS - LAl * sSq * Aw * Aw)
        let den = M13 * M22 * M31 - M33 * (M11 * M22 - M12 * M21)
        let dAw = -(r1 * M22 * M33 - r2 * M12 * M33 - r3 * M13 * M22) / den
        let dWw = (r1 * M21 * M33 - r2 * (M11 * M33 - M13 * M31) - r3 * M13 * M21) / den
        let dSw = (r1 * M22 * M31 - r2 * M12 * M31 - r3 * (M11 * M22 - M12 * M21)) / den
        return ArmState(aq: Aw, wq: Ww, sq: Sw, aw: dAw, ww: dWw, sw: dSw)
    }

    /// Time derivative of the projectile in flight (quadratic drag relative to the wind).
    @inlinable
    public static func flightDerivative<T: Real>(_ p: Projectile<T>, wind: T) -> Projectile<T> {
        let area = Double.pi * projectileRadius * projectileRadius
        let c = T(airDensity * dragCoefficient * area / (2 * projectileMass))
        let rvx = p.vx - wind
        let speed = sqrt(p.vy * p.vy + rvx * rvx)
        return Projectile(x: p.vx, y: p.vy, vx: -c * rvx * speed, vy: -T(gravity) - c * p.vy * speed)
    }

    /// Ground-stage event: the normal force m·g − T·cos θ on the projectile;
    /// the sling tension T comes from the sling end's x acceleration `ax`.
    @inlinable
    static func normalForce<T: Real>(_ s: ArmState<T>, ax: T) -> T {
        let m = T(projectileMass)
        let theta = s.aq + s.sq - T(Double.pi)
        let tension = -ax * m / sin(theta)
        return m * T(gravity) - tension * cos(theta)
    }

    /// Release event: sin(direction of the sling-end velocity − release angle).
    @inlinable
    static func releaseEvent<T: Real>(_ s: ArmState<T>, releaseAngle r: T) -> T {
        let v = slingVelocity(s)
        let speed = sqrt(v.x * v.x + v.y * v.y)
        return (v.y * cos(r) - v.x * sin(r)) / speed
    }

    /// Runs a whole shot. `record`, if given, receives (time, stage, projectile x, y) every step.
    @inlinable
    public static func simulate<T: Real>(wind: T, angle: T, weight: T,
                                         record: ((Double, Stage, Double, Double) -> Void)?) -> Shot<T> {
        let mW = weight * T(poundInKilograms)
        let r = asin(sin(angle * T(Double.pi / 180)))
        let h = T(dt)
        var s = ArmState<T>.initial
        var steps = 0
        var time = 0.0
        // A counterweight of no mass never lifts the projectile (the seed returns the start x).
        if weight.primal <= 0 {
            let p = slingEnd(s)
            return Shot(distance: p.x, releasePosition: Projectile(x: p.x, y: p.y, vx: 0, vy: 0), flightTime: 0, steps: 0)
        }

        // Stage 1: ground.
        var remaining = T(0)  // part of the switching step still to integrate in the next stage
        var v = slingVelocity(s)
        var event = T(projectileMass * gravity)  // the seed's value at the first instant
        var t1 = 0.0
        while true {
            let next = s.adding(groundDerivative(s, weightMass: mW), times: h)
            let vNext = slingVelocity(next)
            let eNext = normalForce(next, ax: (vNext.x - v.x) / h)
            steps += 1
            t1 += dt
            // branch on primal values: the event crossing zero inside this step
            if eNext.primal <= 0 || t1 >= stageLimits.ground {
                let f = eNext.primal <= 0 ? event / (event - eNext) : T(1)
                s = s.interpolated(to: next, f)
                remaining = h * (1 - f)
                time += dt * f.primal
                break
            }
            s = next; v = vNext; event = eNext
            time += dt
            if let record { let p = slingEnd(s); record(time, .ground, p.x.primal, p.y.primal) }
        }

        // Stage 2: hang. The partial step first, then whole steps.
        if remaining.primal > 0 { s = s.adding(hangDerivative(s, weightMass: mW), times: remaining) }
        event = releaseEvent(s, releaseAngle: r)
        var t2 = 0.0
        var stepLength = h
        while true {
            let next = s.adding(hangDerivative(s, weightMass: mW), times: stepLength)
            let eNext = releaseEvent(next, releaseAngle: r)
            steps += 1
            t2 += dt
            // branch on primal signs: the release event changes sign inside this step
            if (eNext.primal > 0) != (event.primal > 0) || eNext.primal == 0 || t2 >= stageLimits.hang {
                let crossed = (eNext.primal > 0) != (event.primal > 0) || eNext.primal == 0
                let f = crossed ? event / (event - eNext) : T(1)
                s = s.interpolated(to: next, f)
                remaining = stepLength * (1 - f)
                time += stepLength.primal * f.primal
                break
            }
            s = next; event = eNext
            time += stepLength.primal
            if let record { let p = slingEnd(s); record(time, .hang, p.x.primal, p.y.primal) }
            stepLength = h
        }

        // Stage 3: flight from the release point.
        let pe = slingEnd(s), ve = slingVelocity(s)
        var p = Projectile(x: pe.x, y: pe.y, vx: ve.x, vy: ve.y)
        let release = p
        let ground = T(pivotHeight)
        var flight = T(0)
        if remaining.primal > 0 {
            let d = flightDerivative(p, wind: wind)
            p = Projectile(x: p.x + remaining * d.x, y: p.y + remaining * d.y,
                           vx: p.vx + remaining * d.vx, vy: p.vy + remaining * d.vy)
            flight = remaining
        }
        var t3 = 0.0
        while true {
            let d = flightDerivative(p, wind: wind)
            let next = Projectile(x: p.x + h * d.x, y: p.y + h * d.y, vx: p.vx + h * d.vx, vy: p.vy + h * d.vy)
            steps += 1
            t3 += dt
            // branch on the primal height: the projectile reaches the ground inside this step
            if (next.y + ground).primal <= 0 || t3 >= stageLimits.flight {
                let a = p.y + ground, b = next.y + ground
                let f = b.primal <= 0 && a.primal > b.primal ? a / (a - b) : T(1)
                let x = p.x + f * (next.x - p.x)
                flight = flight + h * f
                if let record { record(time + dt * f.primal, .landed, x.primal, -pivotHeight) }
                return Shot(distance: x, releasePosition: release, flightTime: flight, steps: steps)
            }
            p = next
            flight = flight + h
            time += dt
            if let record { record(time, .flight, p.x.primal, p.y.primal) }
        }
    }
}

extension Trebuchet {
    /// A shot's distance (m) and the projectile's path, one point (x, y in m,
    /// y from the pivot's height) per simulation step.
    public static func flight(wind: Double, angle: Double, weight: Double) -> (distance: Double, path: [(x: Double, y: Double)]) {
        var path = [(x: Double, y: Double)]()
        let shot = simulate(wind: wind, angle: angle, weight: weight) { _, _, x, y in path.append((x, y)) }
        return (shot.distance, path)
    }
}
