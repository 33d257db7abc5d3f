// Canvas.swift
// The drawing primitives charts use: cairo paths and text in DejaVu Sans, loaded from its TTF
// file through FreeType (independent of fontconfig), with measured text for layout.

import CCairo

/// DejaVu Sans (regular and bold) loaded through FreeType as cairo font faces.
///
/// Each face owns its own `FT_Library`. cairo may keep a face alive after we release it (its
/// scaled-font cache holds references), so the FreeType objects are released by a cairo
/// user-data destructor when the last reference goes, never before.
final class Fonts {
  static let regularPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
  static let boldPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

  /// cairo_font_face_t of the regular and bold faces (bold falls back to regular).
  let regular: OpaquePointer
  let bold: OpaquePointer

  init() throws {
    regular = try Self.load(Self.regularPath)
    bold =
      FileSystem.exists(Self.boldPath)
      ? ((try? Self.load(Self.boldPath)) ?? cairo_font_face_reference(regular))
      : cairo_font_face_reference(regular)
  }

  deinit {
    cairo_font_face_destroy(regular)
    cairo_font_face_destroy(bold)
  }

  /// Loads the TrueType file at `path` as a cairo font face (+1 reference).
  static func load(_ path: String) throws -> OpaquePointer {
    guard FileSystem.exists(path) else {
      throw ReproIOError.fontUnavailable(path: path, reason: "the file does not exist")
    }
    var library: FT_Library?
    guard FT_Init_FreeType(&library) == 0, let library else {
      throw ReproIOError.fontUnavailable(path: path, reason: "FreeType failed to initialise")
    }
    var face: FT_Face?
    let error = FT_New_Face(library, path, 0, &face)
    guard error == 0, let face, let fontFace = cairo_ft_font_face_create_for_ft_face(face, 0) else {
      FT_Done_FreeType(library)
      throw ReproIOError.fontUnavailable(
        path: path, reason: "FreeType cannot read it (error \(error))")
    }
    // The key only needs a unique address that outlives the user data: the FT_Face itself.
    let key = UnsafeRawPointer(face).assumingMemoryBound(to: cairo_user_data_key_t.self)
    let status = cairo_font_face_set_user_data(fontFace, key, UnsafeMutableRawPointer(face)) {
      pointer in
      guard let face = pointer?.assumingMemoryBound(to: FT_FaceRec_.self) else { return }
      let library = face.pointee.glyph?.pointee.library
      FT_Done_Face(face)
      if let library { FT_Done_FreeType(library) }
    }
    guard status == CAIRO_STATUS_SUCCESS else {
      cairo_font_face_destroy(fontFace)
      FT_Done_FreeType(library)
      throw ReproIOError.fontUnavailable(path: path, reason: Renderer.text(status))
    }
    return fontFace
  }
}

/// A rectangle in points, y growing downwards.
struct Rect {
  var x: Double
  var y: Double
  var width: Double
  var height: Double
  var maxX: Double { x + width }
  var maxY: Double { y + height }
  var midX: Double { x + width / 2 }
  var midY: Double { y + height / 2 }
}

/// The drawing surface handed to `Chart.draw(on:)`: cairo plus the loaded fonts.
///
/// Its drawing methods are internal to ReproIO.
public final class Canvas {
  enum HAnchor { case start, middle, end }
  enum VAnchor { case top, middle, baseline, bottom }

  let context: OpaquePointer
  let fonts: Fonts
  let width: Double
  let height: Double

  init(_ context: OpaquePointer, fonts: Fonts, size: ChartSize) {
    self.context = context
    self.fonts = fonts
    self.width = size.width
    self.height = size.height
  }

  func setColor(_ color: Color, alpha: Double = 1) {
    cairo_set_source_rgba(context, color.red, color.green, color.blue, alpha)
  }

  func fill(_ rect: Rect, _ color: Color, alpha: Double = 1) {
    setColor(color, alpha: alpha)
    cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
    cairo_fill(context)
  }

  func stroke(_ rect: Rect, _ color: Color, width: Double = 1) {
    setColor(color)
    cairo_set_line_width(context, width)
    cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
    cairo_stroke(context)
  }

  /// A polyline through `points`; `dash` gives on/off lengths (empty for solid).
  func line(_ points: [(Double, Double)], _ color: Color, width: Double = 1, dash: [Double] = []) {
    guard let first = points.first else { return }
    setColor(color)
    cairo_set_line_width(context, width)
    cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
    cairo_set_dash(context, dash, Int32(dash.count), 0)
    cairo_move_to(context, first.0, first.1)
    for point in points.dropFirst() { cairo_line_to(context, point.0, point.1) }
    cairo_stroke(context)
    cairo_set_dash(context, nil, 0, 0)
  }

  /// A closed, filled polygon.
  func fillPolygon(_ points: [(Double, Double)], _ color: Color, alpha: Double) {
    guard let first = points.first else { return }
    setColor(color, alpha: alpha)
    cairo_move_to(context, first.0, first.1)
    for point in points.dropFirst() { cairo_line_to(context, point.0, point.1) }
    cairo_close_path(context)
    cairo_fill(context)
  }

  func circle(_ x: Double, _ y: Double, radius: Double, _ color: Color) {
    setColor(color)
    cairo_arc(context, x, y, radius, 0, 2 * Double.pi)
    cairo_fill(context)
  }

  /// Runs `body` with drawing clipped to `rect`.
  func clipped(to rect: Rect, _ body: () -> Void) {
    cairo_save(context)
    cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
    cairo_clip(context)
    body()
    cairo_restore(context)
  }

  private func useFont(size: Double, bold: Bool) {
    cairo_set_font_face(context, bold ? fonts.bold : fonts.regular)
    cairo_set_font_size(context, size)
  }

  /// Advance width of `text`.
  func textWidth(_ text: String, size: Double, bold: Bool = false) -> Double {
    useFont(size: size, bold: bold)
    var extents = cairo_text_extents_t()
    cairo_text_extents(context, text, &extents)
    return extents.x_advance
  }

  /// Line height used for layout: 1.25 × the font size.
  func lineHeight(_ size: Double) -> Double { size * 1.25 }

  /// Draws `text` anchored at (x, y), rotated by `angle` radians around the anchor.
  func text(
    _ text: String, x: Double, y: Double, size: Double, bold: Bool = false,
    color: Color = .ink, h: HAnchor = .start, v: VAnchor = .baseline, angle: Double = 0
  ) {
    let width = textWidth(text, size: size, bold: bold)
    var font = cairo_font_extents_t()
    cairo_font_extents(context, &font)
    let dx: Double
    switch h {
    case .start: dx = 0
    case .middle: dx = -width / 2
    case .end: dx = -width
    }
    let dy: Double
    switch v {
    case .top: dy = font.ascent
    case .middle: dy = (font.ascent - font.descent) / 2
    case .baseline: dy = 0
    case .bottom: dy = -font.descent
    }
    cairo_save(context)
    cairo_translate(context, x, y)
    cairo_rotate(context, angle)
    setColor(color)
    cairo_move_to(context, dx, dy)
    cairo_show_text(context, text)
    cairo_restore(context)
  }
}
