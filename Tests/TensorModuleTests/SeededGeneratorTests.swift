import Testing

@testable import TensorModule

@Suite struct SeededGeneratorTests {
  @Test func sameSeedSameSequence() {
    var a = SeededGenerator(seed: 42)
    var b = SeededGenerator(seed: 42)
    for _ in 0..<1000 { #expect(a.next() == b.next()) }
  }

  @Test func differentSeedsDiffer() {
    var a = SeededGenerator(seed: 1)
    var b = SeededGenerator(seed: 2)
    let xs = (0..<16).map { _ in a.next() }
    let ys = (0..<16).map { _ in b.next() }
    #expect(xs != ys)
  }

  /// Golden: the first outputs for seed 0 are fixed forever (results files depend on them).
  @Test func goldenSequence() {
    var g = SeededGenerator(seed: 0)
    let first = (0..<3).map { _ in g.next() }
    #expect(first == SeededGeneratorTests.golden)
  }

  // Computed independently with a Python transcription of SplitMix64 + xoshiro256**.
  static let golden: [UInt64] = [11091344671253066420, 13793997310169335082, 1900383378846508768]
}
