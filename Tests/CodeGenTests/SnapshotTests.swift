// SnapshotTests.swift
// The emitted C of a fixed graph, seed and planner equals the committed snapshot (STYLE.md B6.7).
// Re-record with `RECORD_SNAPSHOTS=1 swift test --filter CodeGenTests`, which then fails on
// purpose; review the diff before committing.

import CodeGen
import Testing
import _TestSupport

@Suite struct SnapshotTests {
  /// The generated (not copied) files, each headed by its path.
  static func generatedText(_ program: CProgram) -> String {
    let copied = Set(
      EmbeddedKernels.sources.map(\.name) + EmbeddedKernels.headers.map { "include/" + $0.name })
    return program.files.filter { !copied.contains($0.path) && !$0.path.hasSuffix(".json") }
      .map { "// ==== \($0.path) ====\n" + $0.contents }.joined(separator: "\n")
  }

  @Test func tinyBlockGreedyMatchesSnapshot() throws {
    let q = try Fixtures.quantized()
    let (problem, plan) = try Fixtures.planned(q)
    let program = try CodeGen.generate(q, plan: plan, problem: problem)
    assertSnapshot(Self.generatedText(program), named: "tinyBlockGreedy")
    assertSnapshot(
      program.file(CodeGen.manifestPath)?.contents ?? "", named: "tinyBlockGreedy_manifest",
      ext: "json")
  }

  @Test func generationIsDeterministic() throws {
    let q = try Fixtures.quantized()
    let (problem, plan) = try Fixtures.planned(q)
    let first = try CodeGen.generate(q, plan: plan, problem: problem)
    let second = try CodeGen.generate(try Fixtures.quantized(), plan: plan, problem: problem)
    #expect(first == second)
  }

  @Test func programListsItsFilesInAStableOrder() throws {
    let q = try Fixtures.quantized()
    let (problem, plan) = try Fixtures.planned(q)
    let program = try CodeGen.generate(q, plan: plan, problem: problem)
    #expect(
      program.files.map(\.path) == [
        "include/model.h", "model.c", "include/mcu_specialized.h", "mcu_specialized.c",
        "include/mcu_fixedpoint.h", "include/mcu_int4.h", "include/mcu_kernels.h",
        "mcu_avgpool_s8.c", "mcu_depthwise_conv2d_s8.c", "manifest.json",
      ])
    #expect(
      program.manifest.kernels == [
        "mcu_conv2d_s8_k3x3_s2_p1_cin3", "mcu_depthwise_conv2d_s8", "mcu_pwconv_s8_cin4",
        "mcu_resadd_s8", "mcu_dwconv_s8_k5x5_s2_inplace", "mcu_global_avgpool_s8",
        "mcu_fc_s8_cin8",
      ])
    for line in Self.generatedText(program).split(separator: "\n") where line.utf8.count > 100 {
      Issue.record("line longer than 100 columns: \(line)")
    }
  }
}
