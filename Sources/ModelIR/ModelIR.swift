// ModelIR: see DESIGN.md §2.
