// AtomicFileTests.swift
// Folder creation and atomic replacement: messages for unusable paths, no temporary left over.

import Foundation
import Testing

@testable import ReproIO

@Suite struct AtomicFileTests {
  @Test func ensureDirectoryCreatesParentsAndIsIdempotent() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let nested = folder.file("results/memory/figures")
    try ensureDirectory(nested)
    try ensureDirectory(nested)
    #expect(FileSystem.isDirectory(nested))
  }

  @Test func ensureDirectoryUnderARegularFileNamesTheFile() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    try AtomicFile.write("x", to: folder.file("plain"))
    let target = folder.file("plain/sub/dir")
    let error = #expect(throws: ReproIOError.self) { try ensureDirectory(target) }
    #expect(
      error?.description
        == "cannot create results folder '\(target)': '\(folder.file("plain"))' is a file, not a "
        + "folder. Pass a writable folder with --out.")
    let onFile = #expect(throws: ReproIOError.self) { try ensureDirectory(folder.file("plain")) }
    #expect(
      onFile?.description
        == "cannot create results folder '\(folder.file("plain"))': a file with that name exists. "
        + "Pass a writable folder with --out.")
  }

  @Test func writeReplacesContentAndLeavesNoTemporary() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let path = folder.file("table.md")
    try AtomicFile.write("first", to: path)
    try AtomicFile.write("second ✓", to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "second ✓")
    #expect(try folder.listing() == ["table.md"])
  }

  @Test func errorDuringReplaceKeepsTheOldFile() throws {
    struct Interrupted: Error {}
    let folder = try TestFolder()
    defer { folder.remove() }
    let path = folder.file("table.csv")
    try AtomicFile.write("old", to: path)
    #expect(throws: Interrupted.self) {
      try AtomicFile.replace(path) { temporary in
        try AtomicFile.write("half", to: temporary)
        throw Interrupted()
      }
    }
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
    #expect(try folder.listing() == ["table.csv"])
  }

  @Test func writeIntoMissingFolderSaysSo() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let path = folder.file("nowhere/table.md")
    #expect(
      #expect(throws: ReproIOError.self) { try AtomicFile.write("x", to: path) }?.description
        == "cannot write '\(path)': folder '\(folder.file("nowhere"))' does not exist (create it "
        + "with ensureDirectory). Check that the folder exists and is writable (--out).")
  }
}
