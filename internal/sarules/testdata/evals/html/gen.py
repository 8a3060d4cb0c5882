import os
D=os.path.dirname(os.path.abspath(__file__))
def w(name, s, enc='utf-8'):
    open(os.path.join(D, name+'.eml'), 'wb').write(s.encode(enc))
def msg(html, subj='Hello there', cs='us-ascii', extra=''):
    s = f'From: a@example.com\nTo: b@example.org\n'
    if subj is not None:
        s += f'Subject: {subj}\n'
    return s + f'Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <h@example.com>\nMIME-Version: 1.0\n{extra}Content-Type: text/html; charset={cs}\n\n{html}\n'
# title ratio
w('t01_long_title', msg('<html><head><title>This is a very long title for a short subject line</title></head><body>x</body></html>', subj='Hi'))
w('t02_short_title', msg('<html><head><title>Hi there</title></head><body>x</body></html>', subj='Hi'))
w('t03_boundary', msg('<html><head><title>'+'a'*10+'</title></head><body>x</body></html>', subj='a'))  # 10/2 = 5
w('t04_boundary2', msg('<html><head><title>'+'a'*7+'</title></head><body>x</body></html>', subj='a'))  # 7/2=3.5 not >
w('t05_boundary3', msg('<html><head><title>'+'a'*8+'</title></head><body>x</body></html>', subj='a'))  # 8/2=4
w('t06_no_subject', msg('<html><head><title>'+'a'*80+'</title></head><body>x</body></html>', subj=None))
w('t07_two_titles', msg('<title>'+'a'*5+'</title><title>'+'b'*5+'</title>', subj='abc'))  # 5/4 each; concat 10/4=2.5
w('t08_two_titles2', msg('<title>'+'a'*10+'</title><title>'+'b'*10+'</title>', subj='abc'))  # 10/4=2.5 each; concat 20/4=5
w('t09_entities', msg('<title>&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;</title>', subj='a'))  # 8/2=4
w('t10_latin1', msg('<title>\xe9\xe9\xe9\xe9</title>', subj='a', cs='iso-8859-1'), enc='latin-1')  # bytes 4/2=2, utf8 8/2=4
w('t11_zero', msg('<title>0</title>', subj=''))
w('t12_empty_subject', msg('<title>abcd</title>', subj=''))  # 4/1
w('t13_nbsp', msg('<title>&nbsp;&nbsp;&nbsp;</title>', subj='a'))  # 3*2 bytes=6/2=3 ; 
w('t14_nbsp2', msg('<title>&nbsp;&nbsp;&nbsp;&nbsp;</title>', subj='a'))  # 8/2=4
# iframe
w('i01_iframe', msg('<p>x</p><iframe src="http://evil.example.com/x"></iframe>'))
w('i02_iframe_empty', msg('<p>x</p><iframe src=""></iframe><iframe src="   "></iframe>'))
w('i03_iframe_nosrc', msg('<p>x</p><iframe width=3></iframe>'))
w('i04_frame', msg('<frameset><frame src="http://x.example.com/"></frameset>'))
w('i05_iframe_upper', msg('<IFRAME SRC=foo.html></IFRAME>'))
w('i06_iframe_comment', msg('<!-- <iframe src="http://x.com/"></iframe> -->'))
# https/ip mismatch
w('h01_ipmis', msg('<a href="http://192.168.10.1/login">https://www.mybank.com/login</a>'))
w('h02_ipmis_ok', msg('<a href="http://192.168.10.1/login">https://192.168.10.1/login</a>'))
w('h03_ipmis_text', msg('<a href="https://10.0.0.1/">Visit https: now</a>'))
w('h04_httpmis', msg('<a href="http://evil.example.net/login">https://www.paypal.com/login</a>'))
w('h05_httpmis_same', msg('<a href="http://www.paypal.com/x">https://www.paypal.com/login</a>'))
w('h06_httpmis_sub', msg('<a href="http://secure.paypal.com/x">https://www.paypal.com/login</a>'))
w('h07_httpmis_many', msg(''.join(f'<a href="http://site{i}.example.com/">link {i}</a> ' for i in range(12))+'<a href="http://evil.example.net/">https://www.paypal.com/</a>'))
w('h08_httpmis_9', msg(''.join(f'<a href="http://site{i}.example{i}.com/">link {i}</a> ' for i in range(8))+'<a href="http://evil.example.net/">https://www.paypal.com/</a>'))
w('h09_httpmis_10', msg(''.join(f'<a href="http://site{i}.example{i}.com/">link {i}</a> ' for i in range(9))+'<a href="http://evil.example.net/">https://www.paypal.com/</a>'))
w('h10_httpmis_badtld', msg('<a href="http://evil.example.zzzq/">https://www.paypal.com/</a>'))
w('h11_httpmis_https_ip', msg('<a href="http://evil.example.net/">https://10.1.2.3/</a>'))
w('h12_httpmis_coluk', msg('<a href="http://www.bank.co.uk/">https://secure.bank.co.uk/</a>'))
w('h13_httpmis_user', msg('<a href="http://www.paypal.com@evil.example.net/">https://www.paypal.com/</a>'))
w('h14_httpmis_img', msg('<a href="http://evil.example.net/"><img src="x.gif">https://www.paypal.com/</a>'))
w('h15_httpmis_upper', msg('<a href="HTTP://Evil.Example.NET/">HTTPS://www.PayPal.com/</a>'))
w('h16_httpmis_space', msg('<a href="  http://evil.example.net/  ">https://www.paypal.com/</a>'))
w('h17_httpmis_port', msg('<a href="http://evil.example.net:8080/">https://www.paypal.com:443/</a>'))
# uri truncated
w('u01_long_href', msg('<a href="http://example.com/'+'a'*8200+'">x</a>'))
w('u02_href_8192', msg('<a href="http://example.com/'+'a'*(8192-19)+'">x</a>'))
w('u03_href_noscheme', msg('<a href="www.example.com/'+'a'*(8192-16)+'">x</a>'))
w('u04_img_long', msg('<img src="http://example.com/'+'b'*9000+'">'))
w('u05_text_long', 'From: a@example.com\nTo: b@example.org\nSubject: x\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <h@example.com>\n\nhttp://example.com/'+'c'*9000+'\n')
