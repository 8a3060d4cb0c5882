package unpack

import "context"

// # uuencode
//
// Plain files holding one or more "begin NNN name" ... "end" blocks (POSIX
// uuencode): each block is one member. Also used inside mail text parts.
func extractUU(ctx context.Context, data []byte, x *run) error {
	return x.uuBlocks(ctx, data)
}

func (x *run) uuBlocks(ctx context.Context, data []byte) error {
	for {
		i := findUUBegin(data)
		if i < 0 {
			return nil
		}
		out, name, used := decodeUU(data[i:])
		if err := x.putRaw(ctx, name, out); err != nil {
			return err
		}
		data = data[i+max(used, 1):]
	}
}
