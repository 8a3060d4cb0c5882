package config

// Policy configures the policy section. Its owner fills the fields.
type Policy struct {
}

func (c *Policy) setDefaults() {}

func (c *Policy) validate(v *validator) {}
