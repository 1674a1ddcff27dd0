// Package pidf reads and writes the XML documents of PRIM and of the CPIM presence profile,
// over one neutral model (Presence, Tuple):
//
//   - PRIM's own application/presence format, the client profile's presence bodies
//     (prim-digest.md §4.8, I2 §14, with Decision D23): one XML document per tuple, several
//     tuples in multipart/mixed with Tuple-ID part headers. See ParsePrim, FormatPrim,
//     ParseClientBody, FormatClientBody.
//   - CPIM-PIDF, application/cpim-pidf+xml (draft-ietf-impp-cpim-pidf-01, prim-digest.md §4.10),
//     the server profile's NOTIFY bodies, bare, in multipart/mixed with Presence-Data-ID or
//     wrapped in message/cpim. See ParseCPIMPIDF, FormatCPIMPIDF, ParseServerBody.
//   - RFC 3863 PIDF, application/pidf+xml (rfc-digest.md §7). See ParsePIDF, FormatPIDF.
//
// Conversion between the formats goes through the model (Decision D2); Equal compares two
// models by meaning, and Common strips a model to what all three formats carry.
//
// The package also holds the other XML documents of the client profile: the Class Table
// (§4.7), the ACL (§7.5) and the watcher-information subscribers list (§4.11), and the two date
// formats (§4.9 and ISO 8601, Decision D24).
//
// Parsers are pure functions with explicit limits: they accept well-formed XML only, ignore
// unknown elements (PRIM-A14.3-6, RFC 3863 §4.3), never expand external entities, and report
// errors that quote the offending value.
package pidf
