import ArgumentParser

@main
struct Repro: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "repro", abstract: "Reproduce the MCUNet paper's tables and figures.")
}
