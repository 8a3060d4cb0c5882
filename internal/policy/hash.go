package policy

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// # Password hashes
//
// New hashes are argon2id (RFC 9106) in the PHC string format
// "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>" with
// unpadded standard base64. The default parameters are OWASP's first
// recommendation (m=19 MiB, t=2, p=1): about 20-40 ms per check on one
// core. bcrypt hashes from existing files are accepted for checking.

// argonParams are argon2id cost parameters.
type argonParams struct {
	mem     uint32 // KiB
	time    uint32
	threads uint8
}

// hashParams are used for new hashes (tests lower them).
var hashParams = argonParams{mem: 19 * 1024, time: 2, threads: 1}

// Upper bounds for parameters read from a file, so a hostile or broken
// file cannot make one check take gigabytes or minutes.
const (
	maxArgonMem  = 1 << 20 // 1 GiB in KiB
	maxArgonTime = 64
	argonKeyLen  = 32
	saltLen      = 16
)

// HashPassword returns a new argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	p := hashParams
	key := argon2.IDKey([]byte(pw), salt, p.time, p.mem, p.threads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.mem, p.time, p.threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash (argon2id or bcrypt).
func CheckPassword(hash, pw string) bool {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		p, salt, key, err := parseArgon(hash)
		if err != nil {
			return false
		}
		got := argon2.IDKey([]byte(pw), salt, p.time, p.mem, p.threads, uint32(len(key)))
		return subtle.ConstantTimeCompare(got, key) == 1
	case isBcrypt(hash):
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
	}
	return false
}

func knownHash(h string) bool {
	if strings.HasPrefix(h, "$argon2id$") {
		_, _, _, err := parseArgon(h)
		return err == nil
	}
	if isBcrypt(h) {
		_, err := bcrypt.Cost([]byte(h))
		return err == nil
	}
	return false
}

func isBcrypt(h string) bool {
	return strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")
}

func parseArgon(h string) (argonParams, []byte, []byte, error) {
	f := strings.Split(h, "$") // "", argon2id, v=19, m=..,t=..,p=.., salt, hash
	if len(f) != 6 || f[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return argonParams{}, nil, nil, fmt.Errorf("bad argon2id hash")
	}
	var p argonParams
	var threads uint32
	if n, err := fmt.Sscanf(f[3], "m=%d,t=%d,p=%d", &p.mem, &p.time, &threads); n != 3 || err != nil {
		return argonParams{}, nil, nil, fmt.Errorf("bad argon2id parameters %q", f[3])
	}
	if p.mem < 8 || p.mem > maxArgonMem || p.time < 1 || p.time > maxArgonTime || threads < 1 || threads > 255 {
		return argonParams{}, nil, nil, fmt.Errorf("argon2id parameters out of range %q", f[3])
	}
	p.threads = uint8(threads)
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(f[4])
	key, err2 := enc.DecodeString(f[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return argonParams{}, nil, nil, fmt.Errorf("bad argon2id salt or hash")
	}
	return p, salt, key, nil
}
