import Datasets
import Foundation
import Runner

/// `repro prepare-data`: writes the bundled proxy datasets (ImageNet proxy from Fashion-MNIST,
/// VWW proxy from LFW crops on real photos, Speech Commands proxy spoken by espeak-ng/flite)
/// into the cache, in the real datasets' on-disk formats. `Scripts/prepare-data.sh` installs
/// the Debian packages and fetches the pinned wheels first.
public func runPrepareData(
  profile: Profile, cacheDirectory: String?, showProgress: Bool = true
) throws -> PreparedProxies {
  let cache = cacheDirectory ?? ProxyLayout.defaultCacheDirectory()
  let runner = ProcessRunner()
  var tools: SpeechSynthesisTools?
  if let espeak = ProcessRunner.findExecutable("espeak-ng"),
    let sox = ProcessRunner.findExecutable("sox")
  {
    tools = SpeechSynthesisTools(
      espeak: espeak, sox: sox, flite: ProcessRunner.findExecutable("flite")
    ) { executable, arguments in
      _ = try runner.run(executable, arguments, timeout: 120)
    }
  }
  return try prepareProxies(
    cacheDirectory: cache, profile: profile.rawValue, speechTools: tools,
    showProgress: showProgress)
}
