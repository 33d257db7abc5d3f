// WAVCodec.swift
// RIFF/WAVE files of 16-bit signed little-endian PCM, mono: the format of Speech Commands v2
// (16 kHz) and of what espeak-ng/sox write. Unknown chunks (LIST, fact, …) are skipped; other
// sample formats are rejected with a message that says how to convert them.

/// Mono 16-bit PCM audio.
public struct WAVAudio: Equatable, Sendable {
  /// Samples per second.
  public var sampleRate: Int
  /// Signed 16-bit samples.
  public var samples: [Int16]

  public init(sampleRate: Int, samples: [Int16]) {
    self.sampleRate = sampleRate
    self.samples = samples
  }

  /// Duration in seconds.
  public var seconds: Double { Double(samples.count) / Double(sampleRate) }

  /// Samples as Float in [-1, 1): `x / 32768` (TensorFlow's `decode_wav`).
  public var floatSamples: [Float] { samples.map { Float($0) / 32768 } }

  /// Audio from Float samples: `round(clamp(x, -1, 1) * 32767)`.
  public init(sampleRate: Int, floatSamples: [Float]) {
    self.sampleRate = sampleRate
    self.samples = floatSamples.map { Int16((min(max($0, -1), 1) * 32767).rounded()) }
  }
}

/// WAV ⇄ WAVAudio.
public enum WAVCodec {
  /// Decodes a WAV file held in memory; `path` only names the file in errors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> WAVAudio {
    func fail(_ reason: String) -> DatasetError { .invalidWAV(path: path, reason: reason) }
    guard bytes.count >= 12, ascii(bytes, 0) == "RIFF", ascii(bytes, 8) == "WAVE" else {
      throw fail("no RIFF/WAVE header")
    }
    var offset = 12
    var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
    while offset + 8 <= bytes.count {
      let id = ascii(bytes, offset)
      let declared = Int(uint32(bytes, offset + 4))
      let start = offset + 8
      // Streams written to a pipe declare 0 or 0xFFFFFFFF bytes; take what is there.
      let size = min(declared, bytes.count - start)
      if id == "fmt " {
        guard size >= 16 else { throw fail("fmt chunk of \(size) bytes") }
        var tag = Int(uint16(bytes, start))
        if tag == 0xFFFE && size >= 26 { tag = Int(uint16(bytes, start + 24)) }  // extensible
        format = (
          tag, Int(uint16(bytes, start + 2)), Int(uint32(bytes, start + 4)),
          Int(uint16(bytes, start + 14))
        )
      } else if id == "data" {
        guard let f = format else { throw fail("data chunk before fmt chunk") }
        guard f.tag == 1, f.channels == 1, f.bits == 16 else {
          throw fail(
            "expected 16-bit mono PCM, found format tag \(f.tag), \(f.channels) channel(s), "
              + "\(f.bits) bits")
        }
        var samples = [Int16](repeating: 0, count: size / 2)
        for i in 0..<samples.count {
          samples[i] = Int16(bitPattern: uint16(bytes, start + 2 * i))
        }
        return WAVAudio(sampleRate: f.rate, samples: samples)
      }
      offset = start + size + (size & 1)  // chunks are padded to even length
    }
    throw fail(format == nil ? "no fmt chunk" : "no data chunk")
  }

  /// Encodes as a canonical 44-byte-header WAV (PCM, mono, 16-bit).
  public static func encode(_ audio: WAVAudio) -> [UInt8] {
    let dataBytes = audio.samples.count * 2
    var out: [UInt8] = []
    out.reserveCapacity(44 + dataBytes)
    out += Array("RIFF".utf8)
    append32(&out, UInt32(36 + dataBytes))
    out += Array("WAVEfmt ".utf8)
    append32(&out, 16)
    append16(&out, 1)  // PCM
    append16(&out, 1)  // mono
    append32(&out, UInt32(audio.sampleRate))
    append32(&out, UInt32(audio.sampleRate * 2))  // byte rate
    append16(&out, 2)  // block align
    append16(&out, 16)  // bits per sample
    out += Array("data".utf8)
    append32(&out, UInt32(dataBytes))
    for sample in audio.samples { append16(&out, UInt16(bitPattern: sample)) }
    return out
  }

  /// Reads and decodes a WAV file.
  public static func read(path: String) throws -> WAVAudio {
    try decode(FileSystem.read(path), path: path)
  }

  // MARK: - Little-endian helpers

  private static func ascii(_ b: [UInt8], _ at: Int) -> String {
    String(decoding: b[at..<min(at + 4, b.count)], as: UTF8.self)
  }

  private static func uint16(_ b: [UInt8], _ at: Int) -> UInt16 {
    UInt16(b[at]) | UInt16(b[at + 1]) << 8
  }

  private static func uint32(_ b: [UInt8], _ at: Int) -> UInt32 {
    UInt32(uint16(b, at)) | UInt32(uint16(b, at + 2)) << 16
  }

  private static func append16(_ out: inout [UInt8], _ v: UInt16) {
    out += [UInt8(v & 0xFF), UInt8(v >> 8)]
  }

  private static func append32(_ out: inout [UInt8], _ v: UInt32) {
    append16(&out, UInt16(v & 0xFFFF))
    append16(&out, UInt16(v >> 16))
  }
}
