package config

// Antivirus configures the antivirus section. Its owner fills the fields.
type Antivirus struct {
}

func (c *Antivirus) setDefaults() {}

func (c *Antivirus) validate(v *validator) {}
