// Kernels: see DESIGN.md §2.
