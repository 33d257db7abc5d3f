// ProcessRunnerTests.swift
// Runner's ProcessRunner (tested here because the speech proxy is its first user): output
// capture, stdin, non-zero exits and signals with the command line and stderr in the message,
// the time limit, PATH lookup and quoting.

import Foundation
import Runner
import Testing

@Suite struct ProcessRunnerTests {
  @Test func capturesStdoutOfEcho() throws {
    let out = try ProcessRunner().run("/bin/echo", ["hello", "two words"])
    #expect(out.stdoutText == "hello two words\n")
    #expect(out.exitCode == 0 && out.stderr.isEmpty && !out.wasSignalled)
    #expect(out.command == "/bin/echo hello 'two words'")
  }

  @Test func feedsStandardInputAndCapturesLargeOutput() throws {
    let input = [UInt8]((0..<200_000).map { UInt8($0 % 251) })
    let out = try ProcessRunner().run("cat", [], input: input)
    #expect(out.stdout == input)
  }

  @Test func nonZeroExitNamesTheCommandAndItsStderr() {
    do {
      _ = try ProcessRunner().run("/bin/sh", ["-c", "echo partial; echo 'it broke' >&2; exit 3"])
      Issue.record("expected an error")
    } catch let error as RunnerError {
      #expect(
        "\(error)" == "`/bin/sh -c 'echo partial; echo '\\''it broke'\\'' >&2; exit 3'` exited "
          + "with status 3; stderr:\n  it broke")
    } catch {
      Issue.record("unexpected \(error)")
    }
    let output = try? ProcessRunner().runAllowingFailure("/bin/sh", ["-c", "exit 4"])
    #expect(output?.exitCode == 4)
  }

  @Test func aSignalIsReported() {
    do {
      _ = try ProcessRunner().run("/bin/sh", ["-c", "kill -9 $$"])
      Issue.record("expected an error")
    } catch {
      #expect("\(error)".contains("was killed by signal 9"))
    }
  }

  @Test func timeoutKillsTheProcess() {
    let start = Date()
    do {
      _ = try ProcessRunner().run("/bin/sleep", ["10"], timeout: 0.3)
      Issue.record("expected a timeout")
    } catch let error as RunnerError {
      #expect("\(error)".hasPrefix("`/bin/sleep 10` did not finish within 0.3 s and was killed"))
    } catch {
      Issue.record("unexpected \(error)")
    }
    #expect(Date().timeIntervalSince(start) < 5)
  }

  @Test func findsExecutablesOnPathAndReportsMissingOnes() {
    #expect(ProcessRunner.findExecutable("sh", searchPath: "/nonexistent:/bin") == "/bin/sh")
    #expect(ProcessRunner.findExecutable("no-such-tool-xyz", searchPath: "/bin") == nil)
    let runner = ProcessRunner(environment: ["PATH": "/nonexistent"])
    do {
      _ = try runner.run("no-such-tool-xyz", [])
      Issue.record("expected an error")
    } catch {
      #expect("\(error)".hasPrefix("'no-such-tool-xyz' was not found on PATH (/nonexistent)"))
    }
    #expect(throws: RunnerError.self) { try ProcessRunner().run("/nonexistent/tool", []) }
  }

  @Test func environmentAndWorkingDirectoryReachTheChild() throws {
    let runner = ProcessRunner(environment: ["MCU_TEST_VALUE": "42"], workingDirectory: "/tmp")
    let out = try runner.run("/bin/sh", ["-c", "echo $MCU_TEST_VALUE; pwd"])
    #expect(out.stdoutText == "42\n/tmp\n")
  }
}
