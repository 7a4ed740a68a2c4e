package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxJSONDepth bounds nesting. The deepest valid policy path is
// document → Statement array → statement → Condition → operator → key →
// value array (7 levels); anything much deeper is malformed, and the cap
// keeps recursion bounded on hostile input.
const maxJSONDepth = 16

type jkind uint8

const (
	jString jkind = iota
	jNumber
	jBool
	jNull
	jObject
	jArray
)

func (k jkind) String() string {
	switch k {
	case jString:
		return "a string"
	case jNumber:
		return "a number"
	case jBool:
		return "a boolean"
	case jNull:
		return "null"
	case jObject:
		return "an object"
	default:
		return "an array"
	}
}

// jnode is one JSON value. Unlike map[string]any it keeps object members in
// document order (so error messages and evaluation order are stable) and
// the reader rejects duplicate member names instead of silently keeping the
// last one: two "Effect" members in one statement must not be resolved by
// accident.
type jnode struct {
	kind jkind
	s    string   // string value, number literal, or "true"/"false"
	keys []string // object member names, in order
	vals []*jnode // object member values (parallel to keys) or array elements
}

// get returns the member named key of an object node, or nil.
func (n *jnode) get(key string) *jnode {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// parseJSON decodes doc into a jnode tree. Errors are *MalformedError.
func parseJSON(doc []byte) (*jnode, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, malformed("policy document is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	n, err := readJSON(dec, 0, "")
	if err != nil {
		return nil, jsonError(dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed(fmt.Sprintf("invalid JSON: unexpected data after the policy at byte %d", dec.InputOffset()))
	}
	return n, nil
}

func jsonError(dec *json.Decoder, err error) error {
	var me *MalformedError
	if errors.As(err, &me) {
		return me
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return malformed("invalid JSON: unexpected end of document")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read, including the offending one; report
		// the offending byte's zero-based position like the other messages.
		return malformed(fmt.Sprintf("invalid JSON at byte %d: %s", max(se.Offset-1, 0), se.Error()))
	}
	return malformed(fmt.Sprintf("invalid JSON at byte %d: %v", dec.InputOffset(), err))
}

// readJSON reads one value; path locates it for error messages.
func readJSON(dec *json.Decoder, depth int, path string) (*jnode, error) {
	if depth > maxJSONDepth {
		return nil, malformed(fmt.Sprintf("invalid JSON: nested deeper than %d levels", maxJSONDepth))
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case string:
		return &jnode{kind: jString, s: t}, nil
	case json.Number:
		return &jnode{kind: jNumber, s: t.String()}, nil
	case bool:
		if t {
			return &jnode{kind: jBool, s: "true"}, nil
		}
		return &jnode{kind: jBool, s: "false"}, nil
	case nil:
		return &jnode{kind: jNull}, nil
	case json.Delim:
		switch t {
		case '[':
			n := &jnode{kind: jArray}
			for i := 0; dec.More(); i++ {
				v, err := readJSON(dec, depth+1, fmt.Sprintf("%s[%d]", path, i))
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			return n, nil
		case '{':
			n := &jnode{kind: jObject}
			var seen map[string]struct{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok { // unreachable: the decoder rejects non-string names
					return nil, malformed("invalid JSON: object member name is not a string")
				}
				if seen == nil {
					seen = make(map[string]struct{})
				}
				if _, dup := seen[key]; dup {
					return nil, malformed(at(path, fmt.Sprintf("duplicate member %q", key)))
				}
				seen[key] = struct{}{}
				v, err := readJSON(dec, depth+1, join(path, key))
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, v)
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			return n, nil
		}
	}
	return nil, malformed(fmt.Sprintf("invalid JSON: unexpected token %v", tok))
}

func malformed(msg string) *MalformedError { return &MalformedError{Msg: msg} }

// join appends an object member name to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// at prefixes msg with the path it concerns, if any.
func at(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}
