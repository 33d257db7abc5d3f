// SpecializedKernels+Templates.swift
// The C text of each specialization: fixed parts as literals, the parameters a KernelSpec fixes
// (kernel size, stride, padding, input channels) substituted as constants so that the compiler
// unrolls the tap loops. Style: 2-space indent, at most 100 columns.

import Kernels

extension SpecializedKernels {
  /// Copies one channel into the padded plane that the in-place depthwise kernels read.
  static let padChannelHelper = """
    // Copies channel c of one NHWC image into `plane` (row-major, padded_w columns) with the
    // border set to zp_in = -input_offset, whose product with w the folded bias cancels.
    static void pad_channel(const mcu_conv_params *params, const mcu_dims *input_dims,
                            const int8_t *image, int32_t c, int8_t *plane) {
      const int32_t in_h = input_dims->h;
      const int32_t in_w = input_dims->w;
      const int32_t channels = input_dims->c;
      const int32_t pad_left = params->pad_left;
      const int32_t padded_h = in_h + params->pad_top + params->pad_bottom;
      const int32_t padded_w = in_w + pad_left + params->pad_right;
      // input_offset lies in [-127, 128], so zp_in fits int8.
      const int8_t pad_value = (int8_t)(-params->input_offset);
      for (int32_t y = 0; y < padded_h; ++y) {
        int8_t *row = plane + y * padded_w;
        const int32_t iy = y - params->pad_top;
        if (iy < 0 || iy >= in_h) {
          for (int32_t x = 0; x < padded_w; ++x) row[x] = pad_value;
          continue;
        }
        const int8_t *src = image + iy * in_w * channels + c;
        for (int32_t x = 0; x < pad_left; ++x) row[x] = pad_value;
        for (int32_t x = 0; x < in_w; ++x) row[pad_left + x] = src[x * channels];
        for (int32_t x = pad_left + in_w; x < padded_w; ++x) row[x] = pad_value;
      }
    }

    """

  /// `pad_channel` for the stride-2 kernels: each padded row stored as its even columns, then
  /// its odd columns (`(padded_w + 1) / 2` of them), so that the taps of consecutive outputs,
  /// two columns apart in the image, are adjacent in the plane.
  static let padChannelSplitHelper = """
    // pad_channel for the stride-2 kernels: each padded row is stored as its even columns, then
    // its odd columns, so the taps of consecutive outputs (two image columns apart) are adjacent.
    static void pad_channel_split(const mcu_conv_params *params, const mcu_dims *input_dims,
                                  const int8_t *image, int32_t c, int8_t *plane) {
      const int32_t in_h = input_dims->h;
      const int32_t in_w = input_dims->w;
      const int32_t channels = input_dims->c;
      const int32_t pad_left = params->pad_left;
      const int32_t padded_h = in_h + params->pad_top + params->pad_bottom;
      const int32_t padded_w = in_w + pad_left + params->pad_right;
      const int32_t half = (padded_w + 1) / 2;
      const int8_t pad_value = (int8_t)(-params->input_offset);
      for (int32_t y = 0; y < padded_h; ++y) {
        int8_t *row = plane + y * padded_w;
        const int32_t iy = y - params->pad_top;
        if (iy < 0 || iy >= in_h) {
          for (int32_t x = 0; x < padded_w; ++x) row[x] = pad_value;
          continue;
        }
        const int8_t *src = image + iy * in_w * channels + c;
        for (int32_t x = 0; x < pad_left; ++x) row[(x & 1) * half + (x >> 1)] = pad_value;
        for (int32_t x = pad_left + in_w; x < padded_w; ++x) {
          row[(x & 1) * half + (x >> 1)] = pad_value;
        }
        // Image column ix lands at x = ix + pad_left: even x in the first half, odd in the
        // second; one branch-free strided copy per parity.
        int8_t *even = row + ((pad_left + 1) >> 1);
        int8_t *odd = row + half + (pad_left >> 1);
        const int32_t first_odd = 1 - (pad_left & 1);  // the first ix with x odd
        for (int32_t ix = pad_left & 1; ix < in_w; ix += 2) even[ix >> 1] = src[ix * channels];
        for (int32_t ix = first_odd; ix < in_w; ix += 2) odd[ix >> 1] = src[ix * channels];
      }
    }

    """

  /// The output step of the folded-bias conv kernels.
  static let outputHelper = """
    // The requantization constants of one call, copied out of the argument structs once: a
    // store through an int8_t pointer may alias anything, so fields read through pointers
    // would be reloaded after every output byte; a local struct stays in registers.
    typedef struct {
      const int32_t *bias;
      const int32_t *multiplier;
      const int32_t *shift;
      mcu_rounding rounding;
      int32_t offset;
      int32_t min;
      int32_t max;
    } requant_args;

    static inline requant_args requant_args_of(const int32_t *bias,
                                               const mcu_per_channel_quant *quant,
                                               const mcu_conv_params *params) {
      const requant_args r = {bias, quant->multiplier, quant->shift, params->rounding,
                              params->output_offset, params->activation_min,
                              params->activation_max};
      return r;
    }

    // Output channel oc of a folded-bias kernel: acc + b'[oc] requantized, offset and clamped
    // exactly as the generic kernels do. No saturation step: CodeGen proved
    // |acc + b'|*2^max(shift, 0) <= 2^30 for every channel (RequantizationBound), where the
    // generic kernels' saturations cannot trigger.
    static inline int8_t channel_output(int32_t acc, int32_t bias, mcu_channel_requant q,
                                        requant_args r) {
      int32_t v = mcu_channel_requantize_bounded(acc + bias, q) + r.offset;
      v = v < r.min ? r.min : v;
      return (int8_t)(v > r.max ? r.max : v);
    }

    // The requantization constants of output channel oc.
    static inline mcu_channel_requant channel_requant(int32_t oc, requant_args r) {
      return mcu_channel_requant_of(r.multiplier[oc], r.shift[oc], r.rounding);
    }

    // channel_output with the channel's constants computed here, for loops that visit each
    // channel once per pixel.
    static inline int8_t folded_output(int32_t acc, int32_t oc, requant_args r) {
      return channel_output(acc, r.bias[oc], channel_requant(oc, r), r);
    }

    """

  /// Columns of one vectorised block of the depthwise row loop: a constant trip count is what
  /// gcc's -O2 vectoriser ("very cheap" cost model) needs.
  static let depthwiseBlock = 16

  /// In-place depthwise k×k, stride s (TinyEngine's depthwise template, CHW per channel): each
  /// channel is copied into the padded plane (deinterleaved into even and odd columns for
  /// stride 2, so every tap reads contiguous bytes), then each output row is computed in blocks
  /// of `depthwiseBlock` columns, one constant-length loop per tap (int16 products, exact since
  /// |w·x| ≤ 127·128), and a scalar tail.
  static func depthwiseBody(_ spec: KernelSpec) -> String {
    let k = spec.kernelH ?? 1
    let s = spec.stride ?? 1
    let block = depthwiseBlock
    let rows = (0..<k).map { ky in
      ky == 0
        ? "        const int8_t *r0 = scratch + oy * \(s) * padded_w;\n"
        : "        const int8_t *r\(ky) = r\(ky - 1) + padded_w;\n"
    }.joined()
    /// The plane column of tap kx for output column `x` (a C expression).
    func column(_ kx: Int, _ x: String) -> String {
      let offset = s == 2 ? kx / 2 : kx
      let base = s == 2 && kx % 2 == 1 ? "half + \(x)" : x
      return offset == 0 ? base : "\(base) + \(offset)"
    }
    let blockTaps = (0..<k).flatMap { ky in
      (0..<k).map { kx in
        "            for (int32_t j = 0; j < \(block); ++j) "
          + "acc[j] += (int16_t)(w[\(ky * k + kx)] * r\(ky)[\(column(kx, "ox + j"))]);\n"
      }
    }.joined()
    let tailTaps = (0..<k).map { ky in
      (0..<k).map { kx in "w[\(ky * k + kx)] * r\(ky)[\(column(kx, "ox"))]" }
    }
    let pad = s == 2 ? "pad_channel_split" : "pad_channel"
    return """
        (void)filter_dims;
        const int32_t in_h = input_dims->h;
        const int32_t in_w = input_dims->w;
        const int32_t channels = input_dims->c;
        const int32_t out_h = output_dims->h;
        const int32_t out_w = output_dims->w;
        const int32_t padded_w = in_w + params->pad_left + params->pad_right;
        // Copied once: stores through int8_t pointers would force reloads of params fields.
        const requant_args r = requant_args_of(bias, quant, params);

      """
        + (s == 2 ? "  const int32_t half = (padded_w + 1) / 2;  // even columns, then odd\n" : "")
          + """
            for (int32_t n = 0; n < input_dims->n; ++n) {
              const int8_t *image = data + n * in_h * in_w * channels;
              // Output slots of channel c only ever hold channel c of consumed input pixels.
              int8_t *out_image = data + n * out_h * out_w * channels;
              for (int32_t c = 0; c < channels; ++c) {
                \(pad)(params, input_dims, image, c, scratch);
                int16_t w[\(k * k)];
                for (int32_t t = 0; t < \(k * k); ++t) w[t] = filter[t * channels + c];
                const int32_t b = r.bias[c];
                const mcu_channel_requant q = channel_requant(c, r);
                for (int32_t oy = 0; oy < out_h; ++oy) {

          """ + rows + """
                  int8_t *out = out_image + oy * out_w * channels + c;
                  int32_t ox = 0;
                  for (; ox + \(block) <= out_w; ox += \(block)) {
                    // acc is int32: \(k * k) taps of |w*x| <= 127*128 (input offset in the bias).
                    int32_t acc[\(block)] = {0};

          """ + blockTaps + """
                    for (int32_t j = 0; j < \(block); ++j) {
                      out[(ox + j) * channels] = channel_output(acc[j], b, q, r);
                    }
                  }
                  for (; ox < out_w; ++ox) {
                    int32_t acc = 0;

          """ + accumulate(tailTaps, indent: 10) + """
                    out[ox * channels] = channel_output(acc, b, q, r);
                  }
                }
              }
            }
            return MCU_OK;

          """
  }

  /// `acc += a + b + …;` lines, one kernel row per statement, wrapped to fit 100 columns.
  private static func accumulate(_ rows: [[String]], indent: Int) -> String {
    let pad = String(repeating: " ", count: indent)
    var out = ""
    for row in rows {
      var line = pad + "acc += "
      var first = true
      for term in row {
        let piece = (first ? "" : " + ") + term
        if !first && line.utf8.count + piece.utf8.count + 1 > CText.columns {
          out += line + ";\n"
          line = pad + "acc += " + term
        } else {
          line += piece
        }
        first = false
      }
      out += line + ";\n"
    }
    return out
  }

  /// Folded-bias pointwise conv (and the classifier, on one pixel). A fixed cIn splits every
  /// dot product into a multiple-of-16 part and a remainder, both constant trip counts, which
  /// gcc's -O2 vectoriser turns into SIMD code; the loops are channel-major, 2 output channels
  /// × 2 pixels per inner loop (`pointwiseChannelMajorLoops`). A run-time cIn keeps scalar
  /// pixel-major 2 × 2 loops.
  static func pointwiseBody(_ spec: KernelSpec) -> String {
    guard let cIn = spec.inputChannels else {
      return """
          (void)filter_dims;
          const int32_t pixels = output_dims->n * output_dims->h * output_dims->w;
          const int32_t c_in = input_dims->c;
          const int32_t c_out = output_dims->c;
          const requant_args r = requant_args_of(bias, quant, params);

        """ + pointwiseLoops
    }
    return """
        (void)filter_dims;
        (void)input_dims;
        const int32_t pixels = output_dims->n * output_dims->h * output_dims->w;
        const int32_t c_out = output_dims->c;
        const requant_args r = requant_args_of(bias, quant, params);

      """ + pointwiseChannelMajorLoops(cIn)
  }

  /// Output channels outermost: each channel's bias and requantization constants are computed
  /// once and its weights, widened to int16 in the scratch once, are reused by two pixels per
  /// inner loop, so an output costs its dot product (int16 × int16 products summed in pairs,
  /// SSE2 `pmaddwd`) plus one multiply, two adds and a shift (the per-output requantization
  /// dominates layers with few input channels otherwise).
  private static func pointwiseChannelMajorLoops(_ cIn: Int) -> String {
    let four = block2x2(weights: ("w0", "w1"), inputs: ("x0", "x1"))
    let two = """
      const int16_t xa = x0[i];
      a0 += w0[i] * xa;
      a1 += w1[i] * xa;
      """
    let one = "a0 += w0[i] * (int16_t)x0[i];"
    return """
        // acc is int32: \(cIn) terms of |w*x| <= 127*128 (input offset in the bias). The
        // scratch holds the current two weight rows as int16 (4*\(cIn) bytes, 2-byte aligned).
        int16_t *restrict w0 = (int16_t *)(void *)scratch;
        int16_t *restrict w1 = w0 + \(cIn);
        int32_t oc = 0;
        for (; oc + 1 < c_out; oc += 2) {
          const int8_t *f = filter + oc * \(cIn);
          for (int32_t i = 0; i < \(2 * cIn); ++i) w0[i] = f[i];
          const int32_t b0 = r.bias[oc];
          const int32_t b1 = r.bias[oc + 1];
          const mcu_channel_requant q0 = channel_requant(oc, r);
          const mcu_channel_requant q1 = channel_requant(oc + 1, r);
          int32_t p = 0;
          for (; p + 1 < pixels; p += 2) {
            const int8_t *x0 = input + p * \(cIn);
            const int8_t *x1 = x0 + \(cIn);
            int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;

      """ + channelLoops(cIn, indent: 6, body: four) + """
              int8_t *out0 = output + p * c_out + oc;
              int8_t *out1 = out0 + c_out;
              out0[0] = channel_output(a00, b0, q0, r);
              out0[1] = channel_output(a01, b1, q1, r);
              out1[0] = channel_output(a10, b0, q0, r);
              out1[1] = channel_output(a11, b1, q1, r);
            }
            if (p < pixels) {
              const int8_t *x0 = input + p * \(cIn);
              int32_t a0 = 0, a1 = 0;

        """ + channelLoops(cIn, indent: 6, body: two) + """
                output[p * c_out + oc] = channel_output(a0, b0, q0, r);
                output[p * c_out + oc + 1] = channel_output(a1, b1, q1, r);
              }
            }
            if (oc < c_out) {
              // An odd channel count is rare: one channel, one pixel at a time.
              const int8_t *f = filter + oc * \(cIn);
              for (int32_t i = 0; i < \(cIn); ++i) w0[i] = f[i];
              const mcu_channel_requant q0 = channel_requant(oc, r);
              for (int32_t p = 0; p < pixels; ++p) {
                const int8_t *x0 = input + p * \(cIn);
                int32_t a0 = 0;

          """ + channelLoops(cIn, indent: 6, body: one) + """
                output[p * c_out + oc] = channel_output(a0, r.bias[oc], q0, r);
              }
            }
            return MCU_OK;

          """
  }

  /// The classifier on one pixel: the input is widened to int16 in the scratch once (2·cIn
  /// bytes) and every output channel's int8 weights are widened in the loop; two channels per
  /// loop share each input load.
  static func linearBody(_ cIn: Int) -> String {
    let two = """
      const int16_t x = xs[i];
      a0 += (int16_t)w0[i] * x;
      a1 += (int16_t)w1[i] * x;
      """
    let one = "a0 += (int16_t)w0[i] * xs[i];"
    return """
        (void)filter_dims;
        (void)input_dims;
        const int32_t c_out = output_dims->c;
        const requant_args r = requant_args_of(bias, quant, params);
        // acc is int32: \(cIn) terms of |w*x| <= 127*128 (input offset in the bias).
        int16_t *restrict xs = (int16_t *)(void *)scratch;
        for (int32_t i = 0; i < \(cIn); ++i) xs[i] = input[i];
        int32_t oc = 0;
        for (; oc + 1 < c_out; oc += 2) {
          const int8_t *w0 = filter + oc * \(cIn);
          const int8_t *w1 = w0 + \(cIn);
          int32_t a0 = 0, a1 = 0;

      """ + channelLoops(cIn, indent: 4, body: two) + """
            output[oc] = folded_output(a0, oc, r);
            output[oc + 1] = folded_output(a1, oc + 1, r);
          }
          if (oc < c_out) {
            const int8_t *w0 = filter + oc * \(cIn);
            int32_t a0 = 0;

        """ + channelLoops(cIn, indent: 4, body: one) + """
              output[oc] = folded_output(a0, oc, r);
            }
            return MCU_OK;

          """
  }

  /// The body of a 2 output channels × 2 pixels dot-product loop over i: each operand loaded
  /// once as int16 (int8 ones widen here), four int32 accumulators a<pixel><channel>.
  private static func block2x2(weights w: (String, String), inputs x: (String, String)) -> String {
    """
    const int16_t wa = \(w.0)[i];
    const int16_t wb = \(w.1)[i];
    const int16_t xa = \(x.0)[i];
    const int16_t xb = \(x.1)[i];
    a00 += wa * xa;
    a01 += wb * xa;
    a10 += wa * xb;
    a11 += wb * xb;
    """
  }

  /// `for` loops over i in [0, cIn) with constant bounds: [0, 16⌊cIn/16⌋) and the remainder.
  private static func channelLoops(_ cIn: Int, indent: Int, body: String) -> String {
    let pad = String(repeating: " ", count: indent)
    let main = cIn & ~15
    var ranges: [(Int, Int)] = []
    if main > 0 { ranges.append((0, main)) }
    if main < cIn { ranges.append((main, cIn)) }
    return ranges.map { lo, hi in
      pad + "for (int32_t i = \(lo); i < \(hi); ++i) {\n"
        + body.split(separator: "\n").map { pad + "  " + $0 + "\n" }.joined() + pad + "}\n"
    }.joined()
  }

  private static let pointwiseLoops = """
      // acc is int32 everywhere: cIn <= 2^16 terms of |w*x| <= 127*128.
      int32_t p = 0;
      for (; p + 1 < pixels; p += 2) {
        const int8_t *x0 = input + p * c_in;
        const int8_t *x1 = x0 + c_in;
        int8_t *out0 = output + p * c_out;
        int8_t *out1 = out0 + c_out;
        int32_t oc = 0;
        for (; oc + 1 < c_out; oc += 2) {
          const int8_t *w0 = filter + oc * c_in;
          const int8_t *w1 = w0 + c_in;
          int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
          for (int32_t i = 0; i < c_in; ++i) {
            const int32_t xa = x0[i];
            const int32_t xb = x1[i];
            const int32_t wa = w0[i];
            const int32_t wb = w1[i];
            a00 += wa * xa;
            a01 += wb * xa;
            a10 += wa * xb;
            a11 += wb * xb;
          }
          out0[oc] = folded_output(a00, oc, r);
          out0[oc + 1] = folded_output(a01, oc + 1, r);
          out1[oc] = folded_output(a10, oc, r);
          out1[oc + 1] = folded_output(a11, oc + 1, r);
        }
        for (; oc < c_out; ++oc) {
          const int8_t *w = filter + oc * c_in;
          int32_t a0 = 0, a1 = 0;
          for (int32_t i = 0; i < c_in; ++i) {
            a0 += (int32_t)w[i] * x0[i];
            a1 += (int32_t)w[i] * x1[i];
          }
          out0[oc] = folded_output(a0, oc, r);
          out1[oc] = folded_output(a1, oc, r);
        }
      }
      for (; p < pixels; ++p) {
        const int8_t *x = input + p * c_in;
        int8_t *out = output + p * c_out;
        for (int32_t oc = 0; oc < c_out; ++oc) {
          const int8_t *w = filter + oc * c_in;
          int32_t acc = 0;
          for (int32_t i = 0; i < c_in; ++i) acc += (int32_t)w[i] * x[i];
          out[oc] = folded_output(acc, oc, r);
        }
      }
      return MCU_OK;

    """

  /// TFLite's ADD as `mcu_add_s8` computes it, with every parameter in a local (a store through
  /// the int8_t output would otherwise force their reloads) and the three requantizations in
  /// one step each (`mcu_requantize_fused`; every shift is <= 0 here).
  static let addBody = """
      const int32_t offset1 = params->input1_offset;
      const int32_t offset2 = params->input2_offset;
      const int32_t scale_up = (int32_t)1 << params->left_shift;
      const int32_t m1 = params->input1_multiplier;
      const int32_t s1 = params->input1_shift;
      const int32_t m2 = params->input2_multiplier;
      const int32_t s2 = params->input2_shift;
      const int32_t m_out = params->output_multiplier;
      const int32_t s_out = params->output_shift;
      const int32_t out_offset = params->output_offset;
      const int32_t act_min = params->activation_min;
      const int32_t act_max = params->activation_max;
      if (params->rounding == MCU_SINGLE_ROUNDING) {
        for (int32_t i = 0; i < size; ++i) {
          const int32_t a = mcu_requantize_single((input1[i] + offset1) * scale_up, m1, s1);
          const int32_t b = mcu_requantize_single((input2[i] + offset2) * scale_up, m2, s2);
          int32_t v = mcu_requantize_single(a + b, m_out, s_out) + out_offset;
          v = v < act_min ? act_min : v;
          output[i] = (int8_t)(v > act_max ? act_max : v);
        }
        return MCU_OK;
      }
      // |x + offset| <= 255 and left_shift <= 22 (checked at generation), so the shifted inputs
      // and the sum of the two scaled ones (multipliers below one) stay below 2^31.
      for (int32_t i = 0; i < size; ++i) {
        const int32_t a = mcu_requantize_fused((input1[i] + offset1) * scale_up, m1, s1);
        const int32_t b = mcu_requantize_fused((input2[i] + offset2) * scale_up, m2, s2);
        int32_t v = mcu_requantize_fused(a + b, m_out, s_out) + out_offset;
        v = v < act_min ? act_min : v;
        output[i] = (int8_t)(v > act_max ? act_max : v);
      }
      return MCU_OK;

    """

  /// Conv k×k, stride s, padding p on cIn channels: the windows of two neighbouring outputs
  /// are gathered into the scratch as int16 (TinyEngine's two im2col columns; padded taps =
  /// zp_in), then every pair of output channels runs over both: int8 weights widened in the
  /// loop times int16 taps, summed in pairs (SSE2 `pmaddwd`).
  static func convBody(_ spec: KernelSpec) -> String {
    let k = spec.kernelH ?? 1
    let s = spec.stride ?? 1
    let p = spec.padding ?? 0
    let c = spec.inputChannels ?? 1
    let taps = k * k * c
    let padded = KernelSpec.paddedWindow(taps)
    /// Gathers the window of output column `ox` into `col`.
    func gather(_ col: String, _ ox: String) -> String {
      """
      for (int32_t ky = 0; ky < \(k); ++ky) {
        const int32_t iy = oy * \(s) - \(p) + ky;
        for (int32_t kx = 0; kx < \(k); ++kx) {
          const int32_t ix = (\(ox)) * \(s) - \(p) + kx;
          int16_t *dst = \(col) + (ky * \(k) + kx) * \(c);
          if (iy >= 0 && iy < in_h && ix >= 0 && ix < in_w) {
            const int8_t *src = image + (iy * in_w + ix) * \(c);
            for (int32_t ic = 0; ic < \(c); ++ic) dst[ic] = src[ic];
          } else {
            for (int32_t ic = 0; ic < \(c); ++ic) dst[ic] = pad_value;
          }
        }
      }
      """
    }
    let four = block2x2(weights: ("w0", "w1"), inputs: ("col0", "col1"))
    let twoChannels = """
      const int16_t xa = col0[i];
      a0 += (int16_t)w0[i] * xa;
      a1 += (int16_t)w1[i] * xa;
      """
    let twoPixels = """
      const int16_t wa = w0[i];
      a0 += wa * col0[i];
      a1 += wa * col1[i];
      """
    let one = "a0 += (int16_t)w0[i] * col0[i];"
    let template = """
        (void)filter_dims;
        const int32_t in_h = input_dims->h;
        const int32_t in_w = input_dims->w;
        const int32_t out_h = output_dims->h;
        const int32_t out_w = output_dims->w;
        const int32_t c_out = output_dims->c;
        const requant_args r = requant_args_of(bias, quant, params);
        // input_offset lies in [-127, 128], so zp_in fits int16.
        const int16_t pad_value = (int16_t)(-params->input_offset);
        // Two int16 im2col columns in the scratch (2-byte aligned), padded from \(taps) to
        // \(padded) taps with zeros, as are the weights: one constant-trip dot product per output.
        // acc is int32: \(taps) taps of |w*x| <= 127*128 (input offset in the bias).
        int16_t *restrict col0 = (int16_t *)(void *)scratch;
        int16_t *restrict col1 = col0 + \(padded);
        for (int32_t t = \(taps); t < \(padded); ++t) {
          col0[t] = 0;
          col1[t] = 0;
        }
        for (int32_t n = 0; n < input_dims->n; ++n) {
          const int8_t *image = input + n * in_h * in_w * \(c);
          for (int32_t oy = 0; oy < out_h; ++oy) {
            int32_t ox = 0;
            for (; ox + 1 < out_w; ox += 2) {
              @gather0
              @gather1
              int8_t *out0 = output + ((n * out_h + oy) * out_w + ox) * c_out;
              int8_t *out1 = out0 + c_out;
              int32_t oc = 0;
              for (; oc + 1 < c_out; oc += 2) {
                const int8_t *w0 = filter + oc * \(padded);
                const int8_t *w1 = w0 + \(padded);
                int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
                @four
                const mcu_channel_requant q0 = channel_requant(oc, r);
                const mcu_channel_requant q1 = channel_requant(oc + 1, r);
                out0[oc] = channel_output(a00, r.bias[oc], q0, r);
                out0[oc + 1] = channel_output(a01, r.bias[oc + 1], q1, r);
                out1[oc] = channel_output(a10, r.bias[oc], q0, r);
                out1[oc + 1] = channel_output(a11, r.bias[oc + 1], q1, r);
              }
              if (oc < c_out) {
                const int8_t *w0 = filter + oc * \(padded);
                int32_t a0 = 0, a1 = 0;
                @twoPixels
                const mcu_channel_requant q0 = channel_requant(oc, r);
                out0[oc] = channel_output(a0, r.bias[oc], q0, r);
                out1[oc] = channel_output(a1, r.bias[oc], q0, r);
              }
            }
            if (ox < out_w) {
              @gather0
              int8_t *out0 = output + ((n * out_h + oy) * out_w + ox) * c_out;
              int32_t oc = 0;
              for (; oc + 1 < c_out; oc += 2) {
                const int8_t *w0 = filter + oc * \(padded);
                const int8_t *w1 = w0 + \(padded);
                int32_t a0 = 0, a1 = 0;
                @twoChannels
                out0[oc] = folded_output(a0, oc, r);
                out0[oc + 1] = folded_output(a1, oc + 1, r);
              }
              if (oc < c_out) {
                const int8_t *w0 = filter + oc * \(padded);
                int32_t a0 = 0;
                @one
                out0[oc] = folded_output(a0, oc, r);
              }
            }
          }
        }
        return MCU_OK;

      """
    return filling(
      template,
      [
        "@gather0": gather("col0", "ox"), "@gather1": gather("col1", "ox + 1"),
        "@four": channelLoops(padded, indent: 0, body: four),
        "@twoPixels": channelLoops(padded, indent: 0, body: twoPixels),
        "@twoChannels": channelLoops(padded, indent: 0, body: twoChannels),
        "@one": channelLoops(padded, indent: 0, body: one),
      ])
  }

  /// `template` with each line that holds only a key of `slots` replaced by that slot's lines,
  /// indented as the key was.
  static func filling(_ template: String, _ slots: [String: String]) -> String {
    var out: [Substring] = []
    for line in template.split(separator: "\n", omittingEmptySubsequences: false) {
      let indent = line.prefix { $0 == " " }
      guard let slot = slots[String(line.dropFirst(indent.count))] else {
        out.append(line)
        continue
      }
      for part in slot.split(separator: "\n") { out.append(indent + part) }
    }
    return out.joined(separator: "\n")
  }
}
