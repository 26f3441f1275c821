import Autodiff
import SceneFile
import Geometry

/// Fresnel equations and the index-of-refraction tables of Mitsuba 3's
/// scene format. All angles are cosines in the local shading frame.
public enum Fresnel {
    /// Unpolarised Fresnel reflectance of a smooth dielectric interface.
    ///
    /// `eta` is the relative index (inside over outside, `int_ior / ext_ior`);
    /// `cosThetaI` is signed: positive when the direction is on the outside.
    /// Returns the reflectance (1 under total internal reflection), the
    /// signed cosine of the refracted direction (on the opposite side from
    /// `cosThetaI`), and the relative indices `etaIT` (transmitted side over
    /// incident side) and `etaTI = 1 / etaIT` — the conventions of Mitsuba's
    /// `fresnel()`.
    @inlinable
    public static func dielectric<T: Real>(cosThetaI: T, eta: T) -> (r: T, cosThetaT: T, etaIT: T, etaTI: T) {
        // Branch on primal values: which side the direction is on.
        let outside = cosThetaI.primal >= 0
        let rcpEta = 1 / eta
        let etaIT = outside ? eta : rcpEta
        let etaTI = outside ? rcpEta : eta
        let cosI = outside ? cosThetaI : -cosThetaI
        if eta.primal == 1 {
            // Index-matched: no interface.
            return (0, -cosThetaI, etaIT, etaTI)
        }
        let cosTSqr = 1 - etaTI * etaTI * (1 - cosI * cosI)
        if cosTSqr.primal <= 0 {
            // Total internal reflection.
            return (1, 0, etaIT, etaTI)
        }
        let cosT = sqrt(cosTSqr)
        let r: T
        if cosI.primal == 0 {
            r = 1
        } else {
            let aS = (cosI - etaIT * cosT) / (cosI + etaIT * cosT)
            let aP = (cosT - etaIT * cosI) / (cosT + etaIT * cosI)
            r = (aS * aS + aP * aP) * T(0.5)
        }
        return (r, outside ? -cosT : cosT, etaIT, etaTI)
    }

    /// Unpolarised Fresnel reflectance of a conductor with complex relative
    /// index `eta + i k`, for `cosThetaI` in [0, 1] (the exact formula, as in
    /// Mitsuba's `fresnel_conductor`). With eta = 0, k = 1 it is 1: a perfect mirror.
    ///
    /// In reverse mode the formula's partial derivatives come from one pass in
    /// dual numbers and go on the tape as two chain-rule steps, where the
    /// formula's own operations were about forty entries (with constant
    /// arguments, the formula in doubles); the value is the same arithmetic in
    /// every mode.
    @inlinable
    public static func conductor<T: Real>(cosThetaI: T, eta: T, k: T) -> T {
        guard T.self == Adjoint.self else { return conductorFormula(cosThetaI: cosThetaI, eta: eta, k: k) }
        if unsafeBitCast(cosThetaI, to: Adjoint.self).isConstant && unsafeBitCast(eta, to: Adjoint.self).isConstant
            && unsafeBitCast(k, to: Adjoint.self).isConstant {
            return T(conductorFormula(cosThetaI: cosThetaI.primal, eta: eta.primal, k: k.primal))
        }
        let f = conductorFormula(cosThetaI: Dual<SIMD4<Double>>(cosThetaI.primal, variable: 0),
                                 eta: Dual(eta.primal, variable: 1), k: Dual(k.primal, variable: 2))
        let r = T.lifted(cosThetaI, eta, value: f.value, da: f.partials[0], db: f.partials[1])
        return T.lifted(r, k, value: f.value, da: 1, db: f.partials[2])
    }

    /// `conductor(cosThetaI:eta:k:)` written out in `T`.
    @inlinable
    static func conductorFormula<T: Real>(cosThetaI: T, eta: T, k: T) -> T {
        let c2 = cosThetaI * cosThetaI
        let s2 = 1 - c2
        let s4 = s2 * s2
        let temp1 = eta * eta - k * k - s2
        let a2pb2 = safeSqrt(temp1 * temp1 + 4 * k * k * eta * eta)
        let a = safeSqrt((a2pb2 + temp1) * T(0.5))
        let term1 = a2pb2 + c2
        let term2 = 2 * cosThetaI * a
        let denomS = term1 + term2
        // Branch on the primal value: a zero denominator only at grazing
        // incidence on a zero index, where the reflectance is 1.
        if denomS.primal == 0 { return 1 }
        let rS = (term1 - term2) / denomS
        let term3 = a2pb2 * c2 + s4
        let term4 = term2 * s2
        let denomP = term3 + term4
        let rP = denomP.primal == 0 ? rS : rS * (term3 - term4) / denomP
        return (rS + rP) * T(0.5)
    }

    /// Conductor reflectance per colour channel.
    @inlinable
    public static func conductor<T: Real>(cosThetaI: T, eta: RGB<T>, k: RGB<T>) -> RGB<T> {
        RGB(conductor(cosThetaI: cosThetaI, eta: eta.r, k: k.r),
            conductor(cosThetaI: cosThetaI, eta: eta.g, k: k.g),
            conductor(cosThetaI: cosThetaI, eta: eta.b, k: k.b))
    }

    /// The hemispherical average of the dielectric Fresnel reflectance seen
    /// from the side of relative index `eta` (Mitsuba's
    /// `fresnel_diffuse_reflectance`): the fit of Egan and Hilgeman (1973)
    /// for eta < 1 and of d'Eon and Irving (2011) otherwise.
    @inlinable
    public static func diffuseReflectance<T: Real>(eta: T) -> T {
        let invEta = 1 / eta
        // Branch on the primal value: which fit applies.
        if eta.primal < 1 {
            return T(0.0636) * invEta + eta * (eta * T(-1.4399) + T(0.7099)) + T(0.6681)
        }
        let i2 = invEta * invEta, i3 = i2 * invEta, i4 = i3 * invEta, i5 = i4 * invEta
        return T(0.919317) - T(3.4793) * invEta + T(6.75335) * i2 - T(7.80989) * i3
            + T(4.98554) * i4 - T(1.36881) * i5
    }

    /// Mirror reflection about the normal +Z in the local frame.
    @inlinable @inline(__always)
    public static func reflect<T: Real>(_ wi: Vector3<T>) -> Vector3<T> { Vector3(-wi.x, -wi.y, wi.z) }

    /// Mirror reflection of `wi` about the microfacet normal `m`.
    @inlinable @inline(__always)
    public static func reflect<T: Real>(_ wi: Vector3<T>, _ m: Vector3<T>) -> Vector3<T> {
        m * (2 * dot(wi, m)) - wi
    }

    /// Refraction through the smooth interface with normal +Z, given the
    /// `cosThetaT` and `etaTI` that `dielectric(cosThetaI:eta:)` returned.
    @inlinable @inline(__always)
    public static func refract<T: Real>(_ wi: Vector3<T>, cosThetaT: T, etaTI: T) -> Vector3<T> {
        Vector3(-etaTI * wi.x, -etaTI * wi.y, cosThetaT)
    }

    /// Refraction through a microfacet with normal `m`.
    @inlinable @inline(__always)
    public static func refract<T: Real>(_ wi: Vector3<T>, _ m: Vector3<T>, cosThetaT: T, etaTI: T) -> Vector3<T> {
        m * (dot(wi, m) * etaTI + cosThetaT) - wi * etaTI
    }

    /// √max(x, 0).
    @inlinable @inline(__always)
    public static func safeSqrt<T: Real>(_ x: T) -> T { x.primal > 0 ? sqrt(x) : 0 }

    // MARK: - Tables

    /// Mitsuba 3's named indices of refraction (`int_ior="bk7"`): the scene
    /// schema's table, kept in one place.
    public static var namedIOR: [String: Double] { Schema.iorTable }

    /// Mitsuba 3's named conductors (`<string name="material" value="Au"/>`):
    /// the RGB (eta, k) its `*_rgb` variants use, read from Mitsuba 3.9.1
    /// (`mi.traverse` of a `conductor` with that material, variant `scalar_rgb`).
    public static let namedConductors: [String: (eta: RGB<Double>, k: RGB<Double>)] = [
        "a-C": (RGB(2.9440457820892334, 2.2271363735198975, 1.968161702156067), RGB(0.8874648809432983, 0.7992985248565674, 0.8152899742126465)),
        "Ag": (RGB(0.15527619421482086, 0.11672795563936234, 0.13838763535022736), RGB(4.828354358673096, 3.122222423553467, 2.1469011306762695)),
        "Al": (RGB(1.6575008630752563, 0.8804047107696533, 0.521244466304779), RGB(9.223811149597168, 6.26950216293335, 4.8370041847229)),
        "AlAs": (RGB(3.6052958965301514, 3.232937812805176, 2.2163186073303223), RGB(0.0006794373039156199, 0.0, 0.007512709125876427)),
        "AlAs_palik": (RGB(3.6052958965301514, 3.232937812805176, 2.2163186073303223), RGB(0.0006794373039156199, 0.0, 0.007512709125876427)),
        "AlSb": (RGB(0.0, 4.139374732971191, 4.669254302978516), RGB(0.0, 0.09400907903909683, 1.300570011138916)),
        "AlSb_palik": (RGB(0.0, 4.139374732971191, 4.669254302978516), RGB(0.0, 0.09400907903909683, 1.300570011138916)),
        "Au": (RGB(0.14303597807884216, 0.3753070831298828, 1.4420453310012817), RGB(3.982996940612793, 2.38555645942688, 1.6033592224121094)),
        "Be": (RGB(4.185012340545654, 3.1850292682647705, 2.7840611934661865), RGB(3.835465908050537, 3.010122299194336, 2.8689939975738525)),
        "Cr": (RGB(4.3696675300598145, 2.9165053367614746, 1.6549046039581299), RGB(5.206546783447266, 4.231306076049805, 3.7546987533569336)),
        "CsI": (RGB(2.144899606704712, 1.7023189067840576, 1.6624271869659424), RGB(0.0, 0.0, 0.0)),
        "Cu": (RGB(0.2010054737329483, 0.9237495064735413, 1.1022154092788696), RGB(3.913262128829956, 2.453045129776001, 2.14208984375)),
        "Cu_palik": (RGB(0.2132285088300705, 0.919715404510498, 1.1024107933044434), RGB(3.9218733310699463, 2.457331657409668, 2.1365840435028076)),
        "Cu2O": (RGB(3.5517725944519043, 2.9498696327209473, 2.751875400543213), RGB(0.11420702189207077, 0.19389685988426208, 0.6061338782310486)),
        "CuO": (RGB(3.2475409507751465, 2.447805166244507, 2.210219621658325), RGB(0.5210895538330078, 0.5700307488441467, 0.7221789360046387)),
        "d-C": (RGB(2.7087197303771973, 2.3188257217407227, 2.2288975715637207), RGB(0.0, 0.0, 0.0)),
        "Hg": (RGB(2.3989386558532715, 1.4400279521942139, 0.9095703959465027), RGB(6.327587127685547, 4.371924877166748, 3.4217636585235596)),
        "HgTe": (RGB(4.7790398597717285, 3.231196165084839, 2.6599011421203613), RGB(1.6316126585006714, 1.5808104276657104, 1.7292873859405518)),
        "Ir": (RGB(3.0862998962402344, 2.08219051361084, 1.6179145574569702), RGB(5.592153072357178, 4.0670881271362305, 3.2673120498657227)),
        "K": (RGB(0.06404318660497665, 0.046409767121076584, 0.038184914737939835), RGB(2.1041996479034424, 1.3489400148391724, 0.9131258726119995)),
        "Li": (RGB(0.2657909393310547, 0.19561831653118134, 0.22094862163066864), RGB(3.5401549339294434, 2.3111233711242676, 1.668607234954834)),
        "MgO": (RGB(2.0895838737487793, 1.6507234573364258, 1.5948790311813354), RGB(4.332695226899608e-12, 0.0, 2.4986457347608848e-11)),
        "Mo": (RGB(4.483973979949951, 3.5251307487487793, 2.776310443878174), RGB(4.1114373207092285, 3.4208269119262695, 3.1506073474884033)),
        "Na_palik": (RGB(0.06026935577392578, 0.056140948086977005, 0.061988431960344315), RGB(3.1792733669281006, 2.11249041557312, 1.5790411233901978)),
        "Nb": (RGB(3.420073986053467, 2.790093183517456, 2.395629405975342), RGB(3.441394567489624, 2.737666130065918, 2.5797457695007324)),
        "Ni_palik": (RGB(2.367304563522339, 1.6633731126785278, 1.4670780897140503), RGB(4.498811721801758, 3.0501530170440674, 2.3454391956329346)),
        "Rh": (RGB(2.5857934951782227, 1.8602163791656494, 1.5542633533477783), RGB(6.782260417938232, 4.702987194061279, 3.9760730266571045)),
        "Se": (RGB(4.058311462402344, 2.842935085296631, 2.8208534717559814), RGB(0.75404953956604, 0.6384435296058655, 0.5218075513839722)),
        "SiC": (RGB(3.1723415851593018, 2.5259716510772705, 2.479370594024658), RGB(7.537663577750209e-07, 0.0, 1.0192530680797063e-05)),
        "SnTe": (RGB(4.52424955368042, 1.9816449880599976, 1.2815912961959839), RGB(0.0, 0.0, 0.0)),
        "Ta": (RGB(2.062721014022827, 2.3929388523101807, 2.6279287338256836), RGB(2.4083597660064697, 1.7414864301681519, 1.9470278024673462)),
        "Te": (RGB(7.390233516693115, 4.482104778289795, 2.637105941772461), RGB(3.2560222148895264, 3.5270588397979736, 3.2920541763305664)),
        "ThF4": (RGB(1.8307136297225952, 1.4422285556793213, 1.3876476287841797), RGB(0.0, 0.0, 0.0)),
        "TiC": (RGB(3.700528383255005, 2.8374221324920654, 2.582287073135376), RGB(3.2656350135803223, 2.3515892028808594, 2.17279052734375)),
        "TiN": (RGB(1.6484496593475342, 1.1505160331726074, 1.3798234462738037), RGB(3.368328094482422, 1.943498134613037, 1.1020677089691162)),
        "TiO2": (RGB(3.4566099643707275, 2.8017358779907227, 2.905174970626831), RGB(0.00010526483674766496, 0.0, 0.0006528865196742117)),
        "VC": (RGB(3.6575660705566406, 2.7527360916137695, 2.5326719284057617), RGB(3.068300724029541, 2.1986873149871826, 1.9631927013397217)),
        "V_palik": (RGB(4.277582168579102, 3.512948751449585, 2.7610714435577393), RGB(3.4913008213043213, 2.8894548416137695, 3.1115219593048096)),
        "VN": (RGB(2.8656022548675537, 2.1191890239715576, 1.9400911331176758), RGB(3.0322425365448, 2.0561156272888184, 1.6163063049316406)),
        "W": (RGB(4.370816707611084, 3.300246477127075, 2.9984073638916016), RGB(3.500640630722046, 2.6048738956451416, 2.27323317527771)),
    ]
}
