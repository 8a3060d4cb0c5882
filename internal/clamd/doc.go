// Package clamd speaks ClamAV's clamd protocol: a server that lets existing
// clients (clamdscan, MTA plug-ins, clamav-milter) use mailwall's engine, and
// a client that lets mailwall use an external clamd.
//
// # Wire protocol
//
// A client connects over TCP or a unix socket and sends one command. The
// first byte selects the framing, and the reply uses the same terminator:
//
//	zCOMMAND ARG\0   command and reply end with NUL (recommended)
//	nCOMMAND ARG\n   command and reply end with newline
//	COMMAND ARG\n    the old plain form, reply ends with newline
//
// Outside a session clamd answers one command and closes the connection.
// IDSESSION opens a session: every later command (z or n only) is answered
// with "<n>: <reply>", n counting commands from 1, until END. Inside a session
// only PING, VERSION, VERSIONCOMMANDS, STATS, SCAN, INSTREAM and FILDES are
// allowed; anything else gets "<n>: Command invalid inside IDSESSION. ERROR"
// and the connection is closed. As in clamd, the INSTREAM and FILDES scans
// of a session run in the background, so pipelined requests are answered
// in completion order; the client matches replies by their numbers.
//
// INSTREAM is followed by chunks, each a 4-byte big-endian length and that
// many bytes, ended by a zero length. More than StreamMaxLength bytes in total
// is answered "INSTREAM size limit exceeded. ERROR" and the connection is
// closed. FILDES (unix sockets only) is followed by one byte carrying an
// open file descriptor as SCM_RIGHTS ancillary data.
//
// Replies copy clamd 1.4's exactly: "stream: OK", "stream: <name> FOUND",
// "/path: OK", "/path: File path check failure: No such file or directory.
// ERROR", "fd[12]: OK", "PONG", "RELOADING", "UNKNOWN COMMAND". For a
// directory, SCAN, CONTSCAN, MULTISCAN and ALLMATCHSCAN report only infected
// files and errors, then "/dir: OK" if there were none; SCAN stops at the
// first infected file. SHUTDOWN (and its old alias QUIT) closes without a
// reply.
package clamd
