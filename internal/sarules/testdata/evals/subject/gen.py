import os
D=os.path.dirname(os.path.abspath(__file__))
def w(name, subj):
    s = 'From: a@example.com\nTo: b@example.org\n'
    if subj is not None:
        s += 'Subject: ' + subj + '\n'
    open(os.path.join(D, name+'.eml'), 'w').write(s + 'Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <s@example.com>\n\nbody\n')
w('s01_exact', 'Buy Now')
w('s02_inside', 'Please BUY NOW while stocks last')
w('s03_glob', 'Your invoice #12345 is ready')
w('s04_q', 'Meeting at 5pm')
w('s05_none', 'hello world')
w('s06_nosubj', None)
w('s07_block', 'FREE money inside')
w('s08_dot', 'version 1x2')
w('s09_dot_ok', 'version 1.2')
w('s10_encoded', '=?utf-8?Q?Buy_Now?=')
