package config

// Spam configures the spam section. Its owner fills the fields.
type Spam struct {
}

func (c *Spam) setDefaults() {}

func (c *Spam) validate(v *validator) {}
