import Testing
import Foundation
import Autodiff
import Learning
import Control

@Test func reachableTargetIsHitInsideTheBox() {
    let r = TrebuchetAimer.reachability(wind: 0, target: 60)
    #expect(r.reachable && r.bestRelativeMiss == 0)
    #expect(r.angle >= TrebuchetAimer.angleRange.0 && r.angle <= TrebuchetAimer.angleRange.1)
    #expect(r.weight >= TrebuchetAimer.weightRange.0 && r.weight <= TrebuchetAimer.weightRange.1)
    #expect(abs(Trebuchet.shoot(wind: 0.0, angle: r.angle, weight: r.weight) - 60) <= 60 * TrebuchetAimer.hitTolerance)
}

@Test func targetBeyondTheLongestShotIsOutOfReach() {
    // Into a 12 m/s headwind nothing in the box reaches 95 m.
    let far = TrebuchetAimer.longestShot(wind: -12)
    #expect(far.distance > 40 && far.distance < 95)
    #expect(abs(Trebuchet.shoot(wind: -12.0, angle: far.angle, weight: far.weight) - far.distance) < 1e-9)
    let r = TrebuchetAimer.reachability(wind: -12, target: 95)
    #expect(!r.reachable)
    #expect(abs(r.bestRelativeMiss - (95 - far.distance) / 95) < 1e-12)
    // No random shot in the box goes further than the longest shot found (by more than 0.5 %).
    var g = SeededGenerator(seed: 3)
    for _ in 0..<40 {
        let a = g.uniform(TrebuchetAimer.angleRange.0, TrebuchetAimer.angleRange.1)
        let m = g.uniform(TrebuchetAimer.weightRange.0, TrebuchetAimer.weightRange.1)
        #expect(Trebuchet.shoot(wind: -12.0, angle: a, weight: m) <= far.distance * 1.005)
    }
}

@Test func perfectAimerMeetsTheFloorExactly() {
    // Aiming with the reachability search's own shots: reachable targets are hit,
    // the others get the longest shot, so the mean equals the floor.
    let e = TrebuchetAimer.evaluate(count: 12, seed: 5, reachability: true) { w, t in
        let r = TrebuchetAimer.reachability(wind: w, target: t)
        return (r.angle, r.weight)
    }
    #expect(e.reachableFraction > 0.5 && e.reachableFraction <= 1)
    #expect(e.meanRelativeMissReachable <= TrebuchetAimer.hitTolerance)
    #expect(abs(e.meanRelativeMiss - e.bestPossibleMeanRelativeMiss) <= TrebuchetAimer.hitTolerance)
    // Without reachability the extra figures are absent.
    let plain = TrebuchetAimer.evaluate(count: 3, seed: 5, reachability: false) { _, _ in (45, 200) }
    #expect(plain.reachableFraction.isNaN && plain.meanRelativeMiss > 0)
}

@Test func networkWeightStaysInTheSaneRange() {
    for o in [[-50.0, -50.0], [50.0, 50.0], [0.0, 0.0]] {
        let (a, m) = TrebuchetAimer.decode(o)
        #expect(a >= 0 && a <= 90)
        #expect(m >= TrebuchetAimer.weightRange.0 && m <= TrebuchetAimer.weightRange.1)
    }
    // zero outputs: 45° and the initial weight
    #expect(abs(TrebuchetAimer.decode([0, 0]).weight - TrebuchetTask.hyperparameters.initialWeight) < 1e-9)
    #expect(abs(TrebuchetAimer.decode([0, 0]).angle - 45) < 1e-9)
    // the read-out's derivative matches finite differences
    let o = [0.3, -0.7], h = 1e-6
    let d = TrebuchetAimer.decodeDerivative(o)
    let fa = (TrebuchetAimer.decode([o[0] + h, o[1]]).angle - TrebuchetAimer.decode([o[0] - h, o[1]]).angle) / (2 * h)
    let fm = (TrebuchetAimer.decode([o[0], o[1] + h]).weight - TrebuchetAimer.decode([o[0], o[1] - h]).weight) / (2 * h)
    #expect(abs(d.angle - fa) < 1e-5 * max(1, abs(fa)) && abs(d.weight - fm) < 1e-5 * max(1, abs(fm)))
}

@Test func huberLossAndItsDerivative() {
    let delta = 0.01
    for r in [-0.2, -0.01, -0.003, 0, 0.004, 0.05] {
        let h = TrebuchetAimer.huber(r, delta: delta), e = 1e-7
        let fd = (TrebuchetAimer.huber(r + e, delta: delta).loss - TrebuchetAimer.huber(r - e, delta: delta).loss) / (2 * e)
        #expect(abs(h.derivative - fd) < 1e-6)
        #expect(abs(h.derivative) <= delta)
    }
}

@Test func aimerTrainingLowersTheLoss() {
    var g = SeededGenerator(seed: 4)
    var t = TrebuchetAimer.Trainer(network: TrebuchetAimer.makeNetwork(generator: &g),
                                   optimizer: Adam(learningRate: 3e-3), batchSize: 16, generator: g)
    var first = 0.0, last = 0.0
    for i in 0..<40 {
        let l = t.step()
        if i < 5 { first += l } else if i >= 35 { last += l }
    }
    #expect(last < first)
    #expect(t.shots == 640)
}
