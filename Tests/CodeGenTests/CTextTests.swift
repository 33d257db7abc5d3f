// CTextTests.swift
// The fixed style of generated C: wrapped arrays and calls stay within 100 columns and keep
// every value; layer identifiers are valid and unique.

import Testing

@testable import CodeGen

@Suite struct CTextTests {
  @Test func arraysWrapAtOneHundredColumnsAndKeepEveryValue() {
    let values = (0..<300).map { Int32($0 * 7919 % 20011 - 10000) }
    let text = CText.array("int32_t", "l1_w", values)
    let lines = text.split(separator: "\n")
    #expect(lines.first == "static const int32_t l1_w[300] = {")
    #expect(lines.last == "};")
    #expect(lines.allSatisfy { $0.utf8.count <= 100 })
    let body = lines.dropFirst().dropLast().joined(separator: " ")
    let parsed = body.split(whereSeparator: { $0 == "," || $0 == " " }).compactMap { Int32($0) }
    #expect(parsed == values)
    #expect(CText.array("int8_t", "e", [Int8]()) == "static const int8_t e[0] = {\n};\n")
  }

  @Test func callsWrapAfterTheParenthesis() {
    #expect(CText.call("f", ["a", "b"], indent: 2) == "  f(a, b);\n")
    let args = (0..<12).map { "&l12_blocks_3_depthwise_argument\($0)" }
    let text = CText.call("mcu_dwconv_s8_k7x7_s2_inplace", args, indent: 2, prefix: "status = ")
    let lines = text.split(separator: "\n")
    #expect(lines[0] == "  status = mcu_dwconv_s8_k7x7_s2_inplace(")
    #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("      &l12") && $0.utf8.count <= 100 })
    #expect(text.hasSuffix("argument11);\n"))
  }

  @Test func layerIdentifiersAreValidC() {
    #expect(CIdentifier.layer(3, name: "blocks.0.depthwise") == "l3_blocks_0_depthwise")
    #expect(CIdentifier.layer(0, name: "int") == "l0_int")
    #expect(CIdentifier.isValid(CIdentifier.layer(9, name: "a-b/c d")))
    #expect(CIdentifier.isValid("mcunet_in0"))
    #expect(!CIdentifier.isValid("9lives"))
    #expect(!CIdentifier.isValid("é"))
  }
}
