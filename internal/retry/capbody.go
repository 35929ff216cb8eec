package retry

import (
	"io"
)

// CapBody returns rc, failing a read past n bytes with tooLarge: a body
// from outside is never read whole without a bound.
func CapBody(rc io.ReadCloser, n int64, tooLarge error) io.ReadCloser {
	return &capped{ReadCloser: rc, left: n + 1, err: tooLarge}
}

type capped struct {
	io.ReadCloser
	left int64
	err  error
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.ReadCloser.Read(p)
	c.left -= int64(n)
	if c.left <= 0 && err == nil {
		return n, c.err
	}
	return n, err
}
