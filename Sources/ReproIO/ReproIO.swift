// ReproIO.swift
// The output side of the suite (DESIGN.md §2 and §4): results files in HDF5, Markdown and CSV
// tables, and PNG/PDF figures drawn with cairo. It knows nothing about models or experiments;
// Experiments builds `ResultsFile`s and charts and hands them here.
//
// Files: ResultTable/ResultsFile (data model), ResultsFile+HDF5 and H5Session (libhdf5),
// AtomicFile (temp + rename for every file written), ResultTable+Text (Markdown, CSV),
// Chart/Canvas/ChartFrame/Axis (cairo drawing, layout, ticks) and one file per chart kind.
