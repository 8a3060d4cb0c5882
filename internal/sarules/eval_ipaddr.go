package sarules

// ipAddressPerl is Constants.pm's IP_ADDRESS (an IPv4, IPv4-mapped IPv6
// or IPv6 address), with its flags as its qr// interpolates: (?^xi:...).
const ipAddressPerl = `(?^xi:
(?:
  \b(?<!:)  # ensure no "::" IPv4 marker before this one
  # plain IPv4, as above
  (?:1\d\d|2[0-4]\d|25[0-5]|[1-9]\d|\d)\.
  (?:1\d\d|2[0-4]\d|25[0-5]|[1-9]\d|\d)\.
  (?:1\d\d|2[0-4]\d|25[0-5]|[1-9]\d|\d)\.
  (?:1\d\d|2[0-4]\d|25[0-5]|[1-9]\d|\d)\b
|
  # IPv6 addresses
  # don't use \b here, it hits on :'s
  (?:IPv6:    # with optional prefix
                        | (?<![a-f0-9:])
                      )
  (?:
      # IPv4 mapped in IPv6
      # note the colon after the 12th byte in each here
      (?:
        # first 6 (12 bytes) non-zero
        (?:[a-f0-9]{1,4}:){6}
        |
        # leading zeros omitted (note {0,5} not {1,5})
        ::(?:[a-f0-9]{1,4}:){0,5}
        |
        # trailing zeros (in the first 6) omitted
        (?:[a-f0-9]{1,4}:){1,5}:
        |
        # 0000 in second up to (including) fifth omitted
        [a-f0-9]{1,4}::(?:[a-f0-9]{1,4}:){1,4}
        |
        # 0000 in third up to (including) fifth omitted
        (?:[a-f0-9]{1,4}:){2}:(?:[a-f0-9]{1,4}:){1,3}
        |
        # 0000 in fourth up to (including) fifth omitted
        (?:[a-f0-9]{1,4}:){3}:(?:[a-f0-9]{1,4}:){1,2}
        |
        # 0000 in fifth omitted
        (?:[a-f0-9]{1,4}:){4}:[a-f0-9]{1,4}:
      )
      # and the IPv4 address appended to all of the 12 bytes above
      (?:1\d\d|2[0-4]\d|25[0-5]|[1-9]\d|\d)\.
      (?:1\d\d|2[0-4]\d|25[0-5]|[1-9]\d|\d)\.
      (?:1\d\d|2[0-4]\d|25[0-5]|[1-9]\d|\d)\.
      (?:1\d\d|2[0-4]\d|25[0-5]|[1-9]\d|\d)   # no \b, we check later

      | # or (separately) a pure IPv6 address

      # all 8 (16 bytes) of them present
      (?:[a-f0-9]{1,4}:){7}[a-f0-9]{1,4}
      |
      # leading zeros omitted
      :(?::[a-f0-9]{1,4}){1,7}
      |
      # trailing zeros omitted
      (?:[a-f0-9]{1,4}:){1,7}:
      |
      # 0000 in second up to (including) seventh omitted
      [a-f0-9]{1,4}:(?::[a-f0-9]{1,4}){1,6}
      |
      # 0000 in third up to (including) seventh omitted
      (?:[a-f0-9]{1,4}:){2}(?::[a-f0-9]{1,4}){1,5}
      |
      # 0000 in fourth up to (including) seventh omitted
      (?:[a-f0-9]{1,4}:){3}(?::[a-f0-9]{1,4}){1,4}
      |
      # 0000 in fifth up to (including) seventh omitted
      (?:[a-f0-9]{1,4}:){4}(?::[a-f0-9]{1,4}){1,3}
      |
      # 0000 in sixth up to (including) seventh omitted
      (?:[a-f0-9]{1,4}:){5}(?::[a-f0-9]{1,4}){1,2}
      |
      # 0000 in seventh omitted
      (?:[a-f0-9]{1,4}:){6}:[a-f0-9]{1,4}
      |
      # :: (the unspecified address 0:0:0:0:0:0:0:0)
      # dos: I don't expect to see this address in a header, and
      # it may cause non-address strings to match, but we'll
      # include it for now since it is valid
      ::
  )
  (?![a-f0-9:])
)
)`
