// Runner: see DESIGN.md §2. The only target that spawns processes (STYLE.md B2 rule 3).
// ProcessRunner.swift runs one external tool (espeak-ng, sox, cc, a generated binary) and
// captures its output; RunnerError.swift carries the full command line and stderr on failure.
