// Experiments: see DESIGN.md §2.
