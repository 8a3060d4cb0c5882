# Prints the Bayes tokens SpamAssassin's own tokenizer makes of each message
# file: a line "==> FILE", then its tokens one per line, sorted. Used by
# TestTokensMatchSpamAssassin.
# Usage: perl satokens.pl SITE_CONFIG_DIR FILE...
use strict;
use warnings;
use Mail::SpamAssassin;
use Mail::SpamAssassin::PerMsgStatus;

my $site = shift or die "usage: satokens.pl SITE_CONFIG_DIR FILE...\n";
my $sa = Mail::SpamAssassin->new({
  local_tests_only    => 1,
  dont_copy_prefs     => 1,
  site_rules_filename => $site,
  userprefs_filename  => '/dev/null',
  post_config_text    => "use_bayes 1\n",
});
$sa->init(1);
my ($bayes) = grep { ref($_) eq 'Mail::SpamAssassin::Plugin::Bayes' } @{ $sa->{plugins}->{plugins} };
die "Bayes plugin not loaded\n" unless $bayes;
local $/;
foreach my $file (@ARGV) {
  open(my $fh, '<', $file) or die "$file: $!\n";
  my $msg = $sa->parse(scalar <$fh>);
  close($fh);
  my $pms = Mail::SpamAssassin::PerMsgStatus->new($sa, $msg);
  $msg->extract_message_metadata($pms);
  my $toks = $bayes->tokenize($msg, $bayes->_get_msgdata_from_permsgstatus($pms));
  print "==> $file\n";
  print "$_\n" for sort values %$toks;
  $pms->finish();
  $msg->finish();
}
