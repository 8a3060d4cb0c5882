// Package clamav is a ClamAV-compatible signature engine: it loads ClamAV's
// own databases (.cvd/.cld containers and .hdb .hsb .mdb .msb .ndb .ldb .fp
// .sfp .ign2 files), matches them against files and the members of the
// containers the unpack package opens, and reports names exactly as ClamAV
// does ("Eicar-Test-Signature"). It imports nothing else of mailwall's.
//
// # Model
//
// A DB is the immutable, compiled form of a database set; an Engine is a DB
// plus scan limits (Options). Both are safe for concurrent use. Reload is
// building a new DB and Engine and swapping the pointer; scans in flight
// finish on the old one.
//
// # Matching
//
// Body signatures (.ndb, and the subsignatures of .ldb) compile to a token
// list: bytes with a nibble mask, alternatives, and gaps. Each signature
// picks an anchor, the 4-byte window of its fixed bytes made of the rarest
// bytes; a scan hashes every 4-byte window of the input into a bitmap
// prefilter and only on a hit looks the window up and verifies the whole
// pattern backwards and forwards from the anchor. Signatures with a fixed
// offset (n, EP+n, EOF-n, Sx+n, ...) are verified only at that offset and
// never enter the anchor table. Hash signatures are looked up by size first,
// so a file's MD5/SHA1/SHA256 is computed only when some signature has that
// size.
//
// # Limits
//
// Limits are ClamAV's (MaxScanSize, MaxFileSize, MaxRecursion, MaxFiles,
// MaxScanTime, plus MaxRatio). A limit reached is never a silent OK: the
// Result carries a heuristic name such as
// "Heuristics.Limits.Exceeded.MaxRecursion".
package clamav
