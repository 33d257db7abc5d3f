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

  /// The output step of the folded-bias conv kernels.
  static let outputHelper = """
    // Output channel oc of a folded-bias kernel: acc + b'[oc] saturated (as mcu_add_bias),
    // requantized, offset and clamped exactly as the generic kernels do.
    static inline int8_t folded_output(int32_t acc, int32_t oc, const int32_t *bias,
                                       const mcu_per_channel_quant *quant,
                                       const mcu_conv_params *params) {
      return mcu_requantize_clamp(mcu_sat32((int64_t)acc + bias[oc]), quant->multiplier[oc],
                                  quant->shift[oc], params->rounding, params->output_offset,
                                  params->activation_min, params->activation_max);
    }

    """

  /// In-place depthwise k×k, stride s (TinyEngine's depthwise template, CHW per channel).
  static func depthwiseBody(_ spec: KernelSpec) -> String {
    let k = spec.kernelH ?? 1
    let s = spec.stride ?? 1
    let rows = (0..<k).map { ky in
      ky == 0
        ? "        const int8_t *x0 = scratch + oy * \(s) * padded_w;\n"
        : "        const int8_t *x\(ky) = x\(ky - 1) + padded_w;\n"
    }.joined()
    let advance = (0..<k).map { "x\($0) += \(s)" }.joined(separator: ", ")
    let taps = (0..<k).map { ky in (0..<k).map { kx in "w[\(ky * k + kx)] * x\(ky)[\(kx)]" } }
    return """
        (void)filter_dims;
        const int32_t in_h = input_dims->h;
        const int32_t in_w = input_dims->w;
        const int32_t channels = input_dims->c;
        const int32_t out_h = output_dims->h;
        const int32_t out_w = output_dims->w;
        const int32_t padded_w = in_w + params->pad_left + params->pad_right;
        for (int32_t n = 0; n < input_dims->n; ++n) {
          const int8_t *image = data + n * in_h * in_w * channels;
          // Output slots of channel c only ever hold channel c of consumed input pixels.
          int8_t *out_image = data + n * out_h * out_w * channels;
          for (int32_t c = 0; c < channels; ++c) {
            pad_channel(params, input_dims, image, c, scratch);
            int32_t w[\(k * k)];
            for (int32_t t = 0; t < \(k * k); ++t) w[t] = filter[t * channels + c];
            const int32_t b = bias[c];
            const int32_t multiplier = quant->multiplier[c];
            const int32_t shift = quant->shift[c];
            for (int32_t oy = 0; oy < out_h; ++oy) {

      """ + rows + """
                int8_t *out = out_image + oy * out_w * channels + c;
                for (int32_t ox = 0; ox < out_w; ++ox, \(advance)) {
                  // acc is int32: \(k * k) taps of |w*x| <= 127*128 (input offset in the bias).
                  int32_t acc = 0;

        """ + accumulate(taps, indent: 10) + """
                    out[ox * channels] = mcu_requantize_clamp(
                        mcu_sat32((int64_t)acc + b), multiplier, shift, params->rounding,
                        params->output_offset, params->activation_min, params->activation_max);
                  }
                }
              }
            }
            return MCU_OK;

          """
  }

  /// `acc += a + b + …;` lines, one kernel row per line (split in two past five taps).
  private static func accumulate(_ rows: [[String]], indent: Int) -> String {
    let pad = String(repeating: " ", count: indent)
    return rows.map { row in
      let width = row.count > 5 ? (row.count + 1) / 2 : row.count
      return stride(from: 0, to: row.count, by: width).map { start in
        pad + "acc += " + row[start..<min(start + width, row.count)].joined(separator: " + ")
          + ";\n"
      }.joined()
    }.joined()
  }

  /// Folded-bias pointwise conv, 2 pixels × 2 output channels per inner loop; a fixed cIn
  /// becomes a constant trip count.
  static func pointwiseBody(_ spec: KernelSpec) -> String {
    let cIn = spec.inputChannels.map { "\($0);  // fixed by the specialization" }
    return """
        (void)filter_dims;
      \(cIn == nil ? "" : "  (void)input_dims;\n")\
        const int32_t pixels = output_dims->n * output_dims->h * output_dims->w;
        const int32_t c_in = \(cIn ?? "input_dims->c;")
        const int32_t c_out = output_dims->c;

      """ + pointwiseLoops
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
          out0[oc] = folded_output(a00, oc, bias, quant, params);
          out0[oc + 1] = folded_output(a01, oc + 1, bias, quant, params);
          out1[oc] = folded_output(a10, oc, bias, quant, params);
          out1[oc + 1] = folded_output(a11, oc + 1, bias, quant, params);
        }
        for (; oc < c_out; ++oc) {
          const int8_t *w = filter + oc * c_in;
          int32_t a0 = 0, a1 = 0;
          for (int32_t i = 0; i < c_in; ++i) {
            a0 += (int32_t)w[i] * x0[i];
            a1 += (int32_t)w[i] * x1[i];
          }
          out0[oc] = folded_output(a0, oc, bias, quant, params);
          out1[oc] = folded_output(a1, oc, bias, quant, params);
        }
      }
      for (; p < pixels; ++p) {
        const int8_t *x = input + p * c_in;
        int8_t *out = output + p * c_out;
        for (int32_t oc = 0; oc < c_out; ++oc) {
          const int8_t *w = filter + oc * c_in;
          int32_t acc = 0;
          for (int32_t i = 0; i < c_in; ++i) acc += (int32_t)w[i] * x[i];
          out[oc] = folded_output(acc, oc, bias, quant, params);
        }
      }
      return MCU_OK;

    """

  /// Conv k×k, stride s, padding p on cIn channels: gathers each window (padded taps = zp_in)
  /// into the scratch once, then runs every output channel over it.
  static func convBody(_ spec: KernelSpec) -> String {
    let k = spec.kernelH ?? 1
    let s = spec.stride ?? 1
    let p = spec.padding ?? 0
    let c = spec.inputChannels ?? 1
    let taps = k * k * c
    return """
        (void)filter_dims;
        const int32_t in_h = input_dims->h;
        const int32_t in_w = input_dims->w;
        const int32_t out_h = output_dims->h;
        const int32_t out_w = output_dims->w;
        const int32_t c_out = output_dims->c;
        // input_offset lies in [-127, 128], so zp_in fits int8.
        const int8_t pad_value = (int8_t)(-params->input_offset);
        for (int32_t n = 0; n < input_dims->n; ++n) {
          const int8_t *image = input + n * in_h * in_w * \(c);
          for (int32_t oy = 0; oy < out_h; ++oy) {
            for (int32_t ox = 0; ox < out_w; ++ox) {
              // Gather the [\(k), \(k), \(c)] window into the scratch.
              for (int32_t ky = 0; ky < \(k); ++ky) {
                const int32_t iy = oy * \(s) - \(p) + ky;
                for (int32_t kx = 0; kx < \(k); ++kx) {
                  const int32_t ix = ox * \(s) - \(p) + kx;
                  int8_t *dst = scratch + (ky * \(k) + kx) * \(c);
                  const int inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
                  const int8_t *src = image + (inside ? (iy * in_w + ix) * \(c) : 0);
                  for (int32_t ic = 0; ic < \(c); ++ic) dst[ic] = inside ? src[ic] : pad_value;
                }
              }
              int8_t *out = output + ((n * out_h + oy) * out_w + ox) * c_out;
              const int8_t *w = filter;
              for (int32_t oc = 0; oc < c_out; ++oc, w += \(taps)) {
                // acc is int32: \(taps) taps of |w*x| <= 127*128 (input offset in the bias).
                int32_t acc = 0;
                for (int32_t t = 0; t < \(taps); ++t) acc += (int32_t)w[t] * scratch[t];
                out[oc] = folded_output(acc, oc, bias, quant, params);
              }
            }
          }
        }
        return MCU_OK;

      """
  }
}
