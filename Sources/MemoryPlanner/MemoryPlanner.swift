// MemoryPlanner: see DESIGN.md §2.
