import os
D=os.path.dirname(os.path.abspath(__file__))
def w(name, s):
    open(os.path.join(D, name+'.eml'), 'w').write(s)
H='From: MAILER-DAEMON@example.org\nTo: me@mycorp.com\nSubject: Undeliverable: hello\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <b@example.org>\n'
w('v01_quoted', H+'\nYour message could not be delivered.\n\n> Received: from relay1.mycorp.example (relay1.mycorp.example [10.1.1.1]) by mx.example.org with ESMTP\n> Subject: hello\n')
w('v02_folded', H+'\nYour message could not be delivered.\n\nReceived: from unknown (HELO x)\n\tby mx.mycorp.com with SMTP; Mon, 1 Jan 2024\nSubject: hello\n')
w('v03_other', H+'\nYour message could not be delivered.\n\nReceived: from relay.other.example (relay.other.example [10.1.1.1]) by mx.example.org\n')
w('v04_rfc822', H+'MIME-Version: 1.0\nContent-Type: multipart/report; boundary="B"\n\n--B\nContent-Type: text/plain\n\nFailed.\n--B\nContent-Type: message/rfc822\n\nReceived: from RELAY7.MyCorp.Example (relay7 [10.0.0.7])\n  by mx.example.org; Mon, 1 Jan 2024\nFrom: me@mycorp.com\nSubject: hello\n\nhi\n--B--\n')
w('v05_norcvd', H+'\nNothing quoted here. relay1.mycorp.example\n')
w('v06_paragraph', H+'\nFailed.\n\nReceived: from relay2.mycorp.example by mx.example.org\n\nmore\n')
w('v07_before_rcvd', H+'\nFailed. Seen via relay1.mycorp.example earlier.\n\nX-Foo: relay1.mycorp.example\nReceived: from a.b.c by d.e.f\n')
