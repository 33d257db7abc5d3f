// Harness+Templates.swift
// The fixed C text of the harness mains (Harness.swift, Harness+Stream.swift), parameterized by
// the API name. The I/O and streaming mains share the prelude (includes, buffers, clock) and
// the timing loop.

extension Harness {
  static func ioBody(name: String, prefix: String, byteType: String = "int8_t") -> String {
    ioPrelude(prefix: prefix, byteType: byteType) + readInputFunction(prefix: prefix)
      + benchFunction(name: name, prefix: prefix) + ioMainFunction(name: name, prefix: prefix)
  }

  /// Includes, the static input and output buffers, `now_ns` and `compare_i64`.
  static func ioPrelude(prefix: String, byteType: String) -> String {
    """
    // clock_gettime and CLOCK_MONOTONIC are POSIX, not C99.
    #define _POSIX_C_SOURCE 199309L

    #include <stdint.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <time.h>

    #include "model.h"

    static \(byteType) input_buffer[\(prefix)_INPUT_BYTES];
    static \(byteType) output_buffer[\(prefix)_OUTPUT_BYTES];

    static int64_t now_ns(void) {
      struct timespec t;
      clock_gettime(CLOCK_MONOTONIC, &t);
      return (int64_t)t.tv_sec * 1000000000 + (int64_t)t.tv_nsec;
    }

    static int compare_i64(const void *a, const void *b) {
      const int64_t x = *(const int64_t *)a;
      const int64_t y = *(const int64_t *)b;
      return (x > y) - (x < y);
    }


    """
  }

  static func readInputFunction(prefix: String) -> String {
    """
    // Reads exactly \(prefix)_INPUT_BYTES bytes from `path` (NULL: stdin); 1 on success.
    static int read_input(const char *path) {
      FILE *file = path != NULL ? fopen(path, "rb") : stdin;
      if (file == NULL) {
        fprintf(stderr, "cannot open input file %s\\n", path);
        return 0;
      }
      const size_t got = fread(input_buffer, 1, \(prefix)_INPUT_BYTES, file);
      if (path != NULL) fclose(file);
      if (got != (size_t)\(prefix)_INPUT_BYTES) {
        fprintf(stderr, "read %zu of %d input bytes\\n", got, \(prefix)_INPUT_BYTES);
        return 0;
      }
      return 1;
    }


    """
  }

  /// `bench(warmup, iterations)`: times invokes on `input_buffer`, prints the `latency_ns` line.
  static func benchFunction(name: String, prefix: String) -> String {
    """
    // Times `iterations` invokes after `warmup` untimed ones; prints the median to stderr.
    static int bench(long warmup, long iterations) {
      for (long i = 0; i < warmup; ++i) {
        if (\(name)_invoke(input_buffer, output_buffer) != \(prefix)_OK) return 0;
      }
      int64_t *times = malloc(sizeof(int64_t) * (size_t)iterations);
      if (times == NULL) return 0;
      for (long i = 0; i < iterations; ++i) {
        const int64_t start = now_ns();
        const \(name)_status status = \(name)_invoke(input_buffer, output_buffer);
        times[i] = now_ns() - start;
        if (status != \(prefix)_OK) {
          free(times);
          return 0;
        }
      }
      qsort(times, (size_t)iterations, sizeof(int64_t), compare_i64);
      const int64_t median = iterations % 2 == 1
                                 ? times[iterations / 2]
                                 : (times[iterations / 2 - 1] + times[iterations / 2]) / 2;
      fprintf(stderr, "latency_ns median=%lld min=%lld max=%lld iterations=%ld\\n",
              (long long)median, (long long)times[0], (long long)times[iterations - 1],
              iterations);
      free(times);
      return 1;
    }


    """
  }

  /// The argument parsing of both mains: `[--bench WARMUP ITERATIONS] [INPUT_FILE]`.
  static func parseArguments() -> String {
    """
      long warmup = 0;
      long iterations = 0;
      int next = 1;
      if (argc >= 4 && strcmp(argv[1], "--bench") == 0) {
        warmup = strtol(argv[2], NULL, 10);
        iterations = strtol(argv[3], NULL, 10);
        next = 4;
      }
      const char *path = next < argc ? argv[next++] : NULL;
      if (next < argc || warmup < 0 || iterations < 0 || iterations > 10000000) {
        fprintf(stderr, "usage: %s [--bench WARMUP ITERATIONS] [INPUT_FILE]\\n", argv[0]);
        return 64;
      }

    """
  }

  static func ioMainFunction(name: String, prefix: String) -> String {
    "int main(int argc, char **argv) {\n" + parseArguments()
      + """
        if (!read_input(path)) return 66;
        if (iterations > 0 && !bench(warmup, iterations)) {
          fprintf(stderr, "\(name)_invoke failed while timing\\n");
          return \(statusExitCode);
        }
        const \(name)_status status = \(name)_invoke(input_buffer, output_buffer);
        if (status != \(prefix)_OK) {
          fprintf(stderr, "\(name)_invoke returned %d\\n", (int)status);
          return \(statusExitCode);
        }
        if (fwrite(output_buffer, 1, \(prefix)_OUTPUT_BYTES, stdout) !=
            (size_t)\(prefix)_OUTPUT_BYTES) {
          return 74;
        }
        return 0;
      }

      """
  }

  /// `<name>_trace_layer`: compares each traced layer with its `layer_checks` entry.
  static func traceFunction(name: String, count: Int, byteType: String = "int8_t") -> String {
    """

    // Layer mismatches of the current run (a test harness; the model itself has no state).
    static long layer_mismatches = 0;

    void \(name)_trace_layer(int32_t node, const \(byteType) *output, int32_t bytes) {
      for (int32_t k = 0; k < \(count); ++k) {
        const layer_check *check = &layer_checks[k];
        if (check->node != node) continue;
        if (bytes != check->bytes) {
          printf("MISMATCH layer %d (%s): %d bytes, expected %d\\n", (int)node, check->name,
                 (int)bytes, (int)check->bytes);
          ++layer_mismatches;
          return;
        }
        long listed = 0;
        for (int32_t i = 0; i < bytes; ++i) {
          if (output[i] == check->expected[i]) continue;
          if (listed++ < 5) {
            printf("MISMATCH layer %d (%s) index %d: got %d expected %d\\n", (int)node,
                   check->name, (int)i, (int)output[i], (int)check->expected[i]);
          }
          ++layer_mismatches;
        }
        return;
      }
      printf("MISMATCH layer %d: not expected\\n", (int)node);
      ++layer_mismatches;
    }

    """
  }

  static func selfCheckBody(
    name: String, prefix: String, traced: Bool, byteType: String = "int8_t"
  ) -> String {
    let layerCheck =
      traced
      ? """
          if (layer_mismatches > 0) {
            printf("FAIL: %ld layer output bytes differ (run %d)\\n", layer_mismatches, run);
            return \(mismatchExitCode);
          }

      """ : ""
    return """

      // Compares `output` with `expected`; prints the first 20 differences; returns their count.
      static long compare(const \(byteType) *output, int run) {
        long mismatches = 0;
        for (long i = 0; i < \(prefix)_OUTPUT_BYTES; ++i) {
          if (output[i] == expected[i]) continue;
          if (mismatches < 20) {
            printf("MISMATCH run %d index %ld: got %d expected %d\\n", run, i, (int)output[i],
                   (int)expected[i]);
          }
          ++mismatches;
        }
        return mismatches;
      }

      int main(void) {
        static \(byteType) output[\(prefix)_OUTPUT_BYTES];
        for (int run = 1; run <= 2; ++run) {
          const \(name)_status status = \(name)_invoke(input_data, output);
          if (status != \(prefix)_OK) {
            printf("FAIL: \(name)_invoke returned %d (run %d)\\n", (int)status, run);
            return \(statusExitCode);
          }

      """ + layerCheck + """
            const long mismatches = compare(output, run);
            if (mismatches > 0) {
              printf("FAIL: %ld of %d output bytes differ (run %d)\\n", mismatches,
                     \(prefix)_OUTPUT_BYTES, run);
              return \(mismatchExitCode);
            }
          }
          printf("OK: %d output bytes match\\n", \(prefix)_OUTPUT_BYTES);
          return 0;
        }

        """
  }
}
