package storetest

import (
	"testing"

	"github.com/openproton/openproton/internal/store"
)

// arnOne and arnTwo name the two connections of acctX that taggable
// creates, so that tagging tests do not show up in acctE's lists.
const (
	idOne  = "00000000-0000-4000-8000-00000000aaaa"
	idTwo  = "00000000-0000-4000-8000-00000000bbbb"
	arnOne = "arn:aws:proton:us-east-1:" + acctX + ":environment-account-connection/" + idOne
	arnTwo = "arn:aws:proton:us-east-1:" + acctX + ":environment-account-connection/" + idTwo
)

// taggable creates the resources arnOne and arnTwo name: tags are only
// stored for resources that exist.
func (x *suite) taggable() {
	x.t.Helper()
	for _, id := range []string{idOne, idTwo} {
		x.add(func(c *store.Connection) { c.ID, c.EnvironmentAccountID = id, acctX })
	}
}

func (x *suite) tag(arn string, maxTags int, tags ...store.Tag) error {
	return x.s.TagResource(x.ctx, arn, tags, maxTags)
}

func (x *suite) mustTag(arn string, maxTags int, tags ...store.Tag) {
	x.t.Helper()
	if err := x.tag(arn, maxTags, tags...); err != nil {
		x.t.Fatalf("TagResource(%s, %v, max %d): %v", arn, tags, maxTags, err)
	}
}

func (x *suite) mustUntag(arn string, keys ...string) {
	x.t.Helper()
	if err := x.s.UntagResource(x.ctx, arn, keys); err != nil {
		x.t.Fatalf("UntagResource(%s, %v): %v", arn, keys, err)
	}
}

func testTags(t *testing.T, h Harness) {
	tg := func(k, v string) store.Tag { return store.Tag{Key: k, Value: v} }
	// run, with arnOne and arnTwo created first.
	run := func(t *testing.T, h Harness, name string, fn func(x *suite)) {
		run(t, h, name, func(x *suite) {
			x.taggable()
			fn(x)
		})
	}

	run(t, h, "NoneIsEmpty", func(x *suite) {
		x.wantTags(arnOne)
	})

	run(t, h, "AddAndOverwrite", func(x *suite) {
		x.mustTag(arnOne, 50, tg("b", "1"), tg("a", "2"))
		x.mustTag(arnOne, 50, tg("b", "changed"), tg("c", "3"))
		x.wantTags(arnOne, tg("a", "2"), tg("b", "changed"), tg("c", "3"))
		x.wantTags(arnTwo)
	})

	run(t, h, "OrderedByKeyBytes", func(x *suite) {
		x.mustTag(arnOne, 50, tg("b", ""), tg("B", ""), tg("a:b", ""), tg("a", ""), tg("_", ""))
		x.wantTags(arnOne, tg("B", ""), tg("_", ""), tg("a", ""), tg("a:b", ""), tg("b", ""))
	})

	run(t, h, "UpToMaxTags", func(x *suite) {
		x.mustTag(arnOne, 3, tg("a", "1"), tg("b", "2"), tg("c", "3"))
		// Overwriting at the limit adds nothing, so it is allowed.
		x.mustTag(arnOne, 3, tg("a", "changed"))
		x.wantTags(arnOne, tg("a", "changed"), tg("b", "2"), tg("c", "3"))
	})

	run(t, h, "OverMaxTagsChangesNothing", func(x *suite) {
		x.mustTag(arnOne, 3, tg("a", "1"), tg("b", "2"))
		err := x.tag(arnOne, 3, tg("a", "changed"), tg("c", "3"), tg("d", "4"))
		wantErr(x.t, "TagResource over the limit", err, store.ErrTooManyTags)
		x.wantTags(arnOne, tg("a", "1"), tg("b", "2"))
		err = x.tag(arnTwo, 1, tg("a", "1"), tg("b", "2"))
		wantErr(x.t, "TagResource over the limit on a new resource", err, store.ErrTooManyTags)
		x.wantTags(arnTwo)
	})

	run(t, h, "LimitIsPerResource", func(x *suite) {
		x.mustTag(arnOne, 2, tg("a", "1"), tg("b", "2"))
		x.mustTag(arnTwo, 2, tg("a", "1"), tg("b", "2"))
	})

	run(t, h, "UntagIgnoresAbsentKeys", func(x *suite) {
		x.mustTag(arnOne, 50, tg("a", "1"), tg("b", "2"), tg("c", "3"))
		x.mustTag(arnTwo, 50, tg("a", "1"))
		x.mustUntag(arnOne, "a", "absent", "c")
		x.wantTags(arnOne, tg("b", "2"))
		x.wantTags(arnTwo, tg("a", "1"))
		x.mustUntag(arnOne, "b")
		x.wantTags(arnOne)
		x.mustUntag(arnOne, "b")
		x.mustUntag(arnOne)
	})

	run(t, h, "TagsOfAConnection", func(x *suite) {
		p := x.params(x.newConn())
		p.Tags = []store.Tag{tg("a", "1")}
		x.mustCreate(p)
		x.mustTag(p.ARN, 2, tg("b", "2"))
		err := x.tag(p.ARN, 2, tg("c", "3"))
		wantErr(x.t, "TagResource over the limit", err, store.ErrTooManyTags)
		x.mustUntag(p.ARN, "a")
		x.wantTags(p.ARN, tg("b", "2"))
	})

	run(t, h, "MissingResourceIsNotFound", func(x *suite) {
		missing := arnOf(x.newConn())
		err := x.tag(missing, 50, tg("a", "1"))
		wantErr(x.t, "TagResource of a connection that does not exist", err, store.ErrNotFound)
		x.wantTags(missing)
		err = x.tag("arn:aws:proton:eu-west-1:"+acctX+":environment-account-connection/"+idOne, 50, tg("a", "1"))
		wantErr(x.t, "TagResource of a connection in another region", err, store.ErrNotFound)
	})

	run(t, h, "DeletedResourceIsNotFound", func(x *suite) {
		p := x.params(x.newConn())
		c := x.mustCreate(p)
		x.mustTag(p.ARN, 50, tg("a", "1"))
		x.mustDelete(c, at(100))
		err := x.tag(p.ARN, 50, tg("b", "2"))
		wantErr(x.t, "TagResource after DeleteConnection", err, store.ErrNotFound)
		x.wantTags(p.ARN)
	})

	run(t, h, "UnknownResourceTypeIsRefused", func(x *suite) {
		other := "arn:aws:proton:us-east-1:" + acctX + ":no-such-resource-type/x"
		if err := x.tag(other, 50, tg("a", "1")); err == nil {
			x.t.Fatalf("TagResource(%s) succeeded: the store cannot know that the resource exists", other)
		}
		x.wantTags(other)
	})
}
