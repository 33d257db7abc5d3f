// ReproIO: see DESIGN.md §2.
