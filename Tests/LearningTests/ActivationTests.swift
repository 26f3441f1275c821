import Testing
import Autodiff
import Learning

/// Every activation: the fast path equals the generic one, and the derivative
/// written in terms of the output matches central differences of the value,
/// on both sides of zero (where `relu` and `elu` branch).
@Test(arguments: Activation.allCases)
func activationDerivativeMatchesFiniteDifferences(_ a: Activation) {
    let h = 1e-6
    for x in [-2.5, -0.7, -0.01, 0.02, 0.4, 1.9] {
        let y = a.value(x)
        #expect(abs(a(x) - y) <= 1e-15 * max(1, abs(y)), "\(a) at \(x): generic \(a(x)), fast \(y)")
        let fd = (a.value(x + h) - a.value(x - h)) / (2 * h)
        #expect(abs(a.derivative(output: y) - fd) <= 1e-6, "\(a) at \(x): derivative \(a.derivative(output: y)), finite differences \(fd)")
    }
}

@Test func eluIsTheExponentialLinearUnit() {
    #expect(Activation.elu.value(1.5) == 1.5)
    #expect(abs(Activation.elu.value(-1) - (Double.exp(-1) - 1)) < 1e-15)
    // its derivative is continuous at zero: 1 on either side
    #expect(Activation.elu.derivative(output: Activation.elu.value(-1e-9)) > 1 - 1e-8)
}
