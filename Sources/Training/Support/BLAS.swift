// BLAS.swift
// The one place that calls OpenBLAS: row-major `cblas_sgemm` wrappers for the dense products of
// conv2d (after im2col), pointwise conv and linear, plus OpenBLAS's thread and core queries.
// OpenBLAS 0.3.21 picks slow Prescott kernels on this CPU unless OPENBLAS_CORETYPE is set before
// the process starts (reference/native-deps.md §4); that is the caller's choice, never made here.

import COpenBLAS

/// OpenBLAS settings that matter for throughput and provenance.
public enum BLAS {
  /// Threads OpenBLAS uses for one GEMM.
  public static var threadCount: Int { Int(openblas_get_num_threads()) }

  /// Sets the threads OpenBLAS uses for one GEMM (process-wide, as OpenBLAS itself is).
  public static func setThreadCount(_ n: Int) {
    precondition(n > 0, "thread count must be positive")
    openblas_set_num_threads(Int32(n))
  }

  /// The kernel family OpenBLAS selected at load time, e.g. "Prescott" or "Haswell".
  public static var coreName: String { String(cString: openblas_get_corename()) }
}

/// Dense products `y = x · wᵀ (+ b)` over row-major matrices and their gradients; shared by
/// `Conv2D` (on the im2col matrix), `PointwiseConv2D` and `Linear`.
///
/// Shapes: x [m, k], w [n, k] (one row per output feature, i.e. OHWI flattened), b [n],
/// y [m, n]. Backward functions accumulate (beta = 1).
enum Dense {
  /// y[m, n] = x[m, k] · w[n, k]ᵀ + b[n] (overwrites y).
  static func forward(
    x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    y: UnsafeMutablePointer<Float>, m: Int, k: Int, n: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
      1, x, Int32(k), w, Int32(k), 0, y, Int32(n))
    guard let bias else { return }
    for row in 0..<m {
      let yRow = y + row * n
      for j in 0..<n { yRow[j] += bias[j] }
    }
  }

  /// dx[m, k] += dy[m, n] · w[n, k].
  static func backwardInput(
    dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
    m: Int, k: Int, n: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(k), Int32(n),
      1, dy, Int32(n), w, Int32(k), 1, dx, Int32(k))
  }

  /// dw[n, k] += dy[m, n]ᵀ · x[m, k].
  static func backwardWeight(
    dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
    m: Int, k: Int, n: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(k), Int32(m),
      1, dy, Int32(n), x, Int32(k), 1, dw, Int32(k))
  }

  /// db[n] += Σ_rows dy[m, n].
  static func backwardBias(
    dy: UnsafePointer<Float>, db: UnsafeMutablePointer<Float>, m: Int, n: Int
  ) {
    for row in 0..<m {
      let dyRow = dy + row * n
      for j in 0..<n { db[j] += dyRow[j] }
    }
  }
}

/// Shared precondition for buffer sizes, with a message that names the op and the buffer.
@inline(__always)
func checkCount(_ actual: Int, _ expected: Int, _ what: @autoclosure () -> String) {
  precondition(actual == expected, "\(what()): \(actual) elements, expected \(expected)")
}

/// The batch size implied by a buffer of `count` elements with `perSample` elements per sample.
func batchSize(count: Int, perSample: Int, _ what: @autoclosure () -> String) -> Int {
  precondition(
    perSample > 0 && count > 0 && count % perSample == 0,
    "\(what()): \(count) elements is not a positive multiple of \(perSample) per sample")
  return count / perSample
}

/// Calls `body` with a pointer to `array`'s elements, or with nil when `array` is nil.
func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
  guard let array else { return body(nil) }
  return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
