// Runner: see DESIGN.md §2. The only target that spawns processes.
