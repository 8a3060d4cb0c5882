package mime

// Flag names an anomaly; scanners and rules test for them
// (SpamAssassin's check_msg_parse_flags, RELIABILITY.md "MIME").
type Flag string

// Anomalies the parser reports. The names are stable: they appear in rules,
// logs and headers.
const (
	// Structure a client may read differently (Ambiguous reports these).
	FlagDuplicateContentType      Flag = "duplicate_content_type"      // two Content-Type fields in one entity
	FlagDuplicateTransferEncoding Flag = "duplicate_transfer_encoding" // two Content-Transfer-Encoding fields
	FlagDuplicateBoundary         Flag = "duplicate_boundary"          // nested boundary equal to or a prefix of an enclosing one, or two boundary parameters
	FlagDuplicateParam            Flag = "duplicate_param"             // a Content-Type/Disposition parameter given twice
	FlagBoundaryPrefix            Flag = "boundary_prefix"             // a line starts with "--boundary" followed by other text
	FlagNULInHeader               Flag = "nul_in_header"               // NUL byte in a header field

	// Malformed but read the same way by every client we know.
	FlagMissingFinalBoundary   Flag = "missing_final_boundary"   // multipart ended without its close delimiter
	FlagMissingBoundary        Flag = "missing_boundary"         // multipart without a boundary parameter
	FlagBadBase64              Flag = "bad_base64"               // base64 body with characters outside the alphabet or a short final quantum
	FlagBadContentType         Flag = "bad_content_type"         // Content-Type without type/subtype
	FlagMissingMIMEVersion     Flag = "missing_mime_version"     // MIME fields at top level without MIME-Version
	FlagBareLF                 Flag = "bare_lf"                  // a line ends in LF without CR
	FlagTruncatedHeader        Flag = "truncated_header"         // header block not ended by an empty line
	FlagMissingHeaderSeparator Flag = "missing_header_separator" // a non-field line ended the header block
	Flag8BitHeader             Flag = "8bit_header"              // raw 8-bit bytes in a header field
	FlagLongHeader             Flag = "long_header"              // a header field longer than maxFieldBytes, truncated

	// A limit was reached; content past it is not in the part tree.
	FlagDepthLimit  Flag = "depth_limit"  // nesting deeper than Limits.MaxDepth, read as one leaf
	FlagPartLimit   Flag = "part_limit"   // more parts than Limits.MaxParts
	FlagHeaderLimit Flag = "header_limit" // more fields than Limits.MaxHeaders in one entity
)

// Ambiguous reports whether f marks structure that clients may read
// differently.
func (f Flag) Ambiguous() bool {
	switch f {
	case FlagDuplicateContentType, FlagDuplicateTransferEncoding, FlagDuplicateBoundary,
		FlagDuplicateParam, FlagBoundaryPrefix, FlagNULInHeader:
		return true
	}
	return false
}
