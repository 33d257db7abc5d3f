import Foundation

/// Loads `experiments/<name>.json`: an object with one configuration per profile
/// (`{"smoke": {…}, "default": {…}, "full": {…}}`). When the file does not exist the built-in
/// configuration is used (the committed file states the same values; a test checks that).
public func loadExperimentConfig<C: Codable>(
  _ type: C.Type, experiment: String, profile: Profile, path: String? = nil,
  builtIn: (Profile) -> C
) throws -> C {
  let file = path ?? "experiments/\(experiment).json"
  guard FileManager.default.fileExists(atPath: file) else {
    if path != nil { throw ExperimentError.badConfig(path: file, detail: "no such file") }
    return builtIn(profile)
  }
  guard let data = FileManager.default.contents(atPath: file) else {
    throw ExperimentError.badConfig(path: file, detail: "not readable")
  }
  do {
    let all = try JSONDecoder().decode([String: C].self, from: data)
    guard let config = all[profile.rawValue] else {
      throw ExperimentError.badConfig(
        path: file, detail: "has no \"\(profile.rawValue)\" profile (has \(all.keys.sorted()))")
    }
    return config
  } catch let error as DecodingError {
    throw ExperimentError.badConfig(path: file, detail: "not valid for \(experiment): \(error)")
  }
}

/// A configuration as sorted, pretty JSON (for the `config_json` attribute).
func jsonString<C: Encodable>(_ config: C) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
  return (try? encoder.encode(config)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}
