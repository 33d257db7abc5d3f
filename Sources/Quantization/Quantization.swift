// Quantization: see DESIGN.md §2.
