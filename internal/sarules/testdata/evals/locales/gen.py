import os, base64
D=os.path.dirname(os.path.abspath(__file__))
def w(name, b):
    open(os.path.join(D, name+'.eml'), 'wb').write(b)
def hdr(subj=b'test', frm=b'a@example.com', extra=b''):
    return b'From: '+frm+b'\nTo: b@example.org\nSubject: '+subj+b'\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <l@example.com>\nMIME-Version: 1.0\n'+extra
cyr = '\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440 \u0434\u0440\u0443\u0437\u044c\u044f'
w('c01_koi8_high', hdr()+b'Content-Type: text/plain; charset=koi8-r\n\n'+cyr.encode('koi8-r')+b'\n')
w('c02_koi8_ascii', hdr()+b'Content-Type: text/plain; charset=koi8-r\n\nHello world, this is mostly plain English text here. '+'\u041f\u0440\u0438'.encode('koi8-r')+b'\n')
# 10 ascii + 8 cyrillic: raw 8 high < 10 low; UTF-8 16 high >= 10 low
w('c03_koi8_edge', hdr(subj=b'x')+b'Content-Type: text/plain; charset=koi8-r\n\nabcdefg '+('\u041f'*8).encode('koi8-r')+b'\n')
w('c04_iso8859_5', hdr()+b'Content-Type: text/plain; charset=iso-8859-5\n\n'+cyr.encode('iso-8859-5')+b'\n')
w('c05_sjis', hdr()+b'Content-Type: text/plain; charset=shift_jis\n\n'+'\u3053\u3093\u306b\u3061\u306f\u4e16\u754c'.encode('shift_jis')+b'\n')
w('c06_big5_quoted', hdr()+b'Content-Type: text/plain; charset="big5"\n\n'+'\u4f60\u597d\u4e16\u754c\u4f60\u597d'.encode('big5')+b'\n')
w('c07_gb2312', hdr()+b"Content-Type: text/plain; charset='gb2312'\n\n"+'\u4f60\u597d\u4e16\u754c\u4f60\u597d'.encode('gb2312')+b'\n')
w('c08_3d', hdr()+b'Content-Type: text/plain; charset=3Dkoi8-r\n\n'+cyr.encode('koi8-r')+b'\n')
w('c09_xunknown', hdr()+b'Content-Type: text/plain; charset=x-unknown\n\n'+cyr.encode('koi8-r')+b'\n')
w('c10_multipart', hdr()+b'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain; charset=koi8-r\n\n'+cyr.encode('koi8-r')+b'\n--B--\n')
w('c11_euckr', hdr()+b'Content-Type: text/plain; charset=euc-kr\n\n'+'\uc548\ub155\ud558\uc138\uc694 \uc138\uacc4'.encode('euc-kr')+b'\n')
w('c12_utf8', hdr()+b'Content-Type: text/plain; charset=utf-8\n\n'+cyr.encode('utf-8')+b'\n')
w('c13_windows1251', hdr()+b'Content-Type: text/plain; charset=windows-1251\n\n'+cyr.encode('cp1251')+b'\n')
w('c14_cp866', hdr()+b'Content-Type: text/plain; charset=cp866\n\n'+cyr.encode('cp866')+b'\n')
# headers
b64 = lambda s, cs: b'=?'+cs.encode()+b'?B?'+base64.b64encode(s.encode(cs))+b'?='
w('h01_subj_koi8', hdr(subj=b64(cyr,'koi8-r'))+b'\nhello\n')
w('h02_from_euckr', hdr(frm=b64('\uc548\ub155','euc-kr')+b' <a@example.com>')+b'\nhello\n')
w('h03_subj_utf8', hdr(subj=b64(cyr,'utf-8'))+b'\nhello\n')
w('h04_subj_iso', hdr(subj=b'=?iso-8859-1?Q?caf=E9?= and =?us-ascii?Q?x?=')+b'\nhello\n')
w('h05_subj_sjis', hdr(subj=b64('\u3053\u3093','shift_jis'))+b'\nhello\n')
w('h06_to_koi8', hdr(extra=b'Cc: '+b64(cyr,'koi8-r')+b' <c@example.com>\n')+b'\nhello\n')
w('h07_subj_gb', hdr(subj=b'Re: '+b64('\u4f60\u597d','gb2312'))+b'\nhello\n')
# html
H = lambda metas, body: hdr()+b'Content-Type: text/html\n\n<html><head>'+metas+b'</head><body>'+body+b'</body></html>\n'
w('m01_meta_koi8', H(b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">', b'hi'))
w('m02_meta_two', H(b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><META HTTP-EQUIV="content-type" CONTENT="text/html; charset=utf-8">', b'hi'))
w('m03_meta_three', H(b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta http-equiv="Content-Type" content="text/html; charset=us-ascii">', b'hi'))
w('m04_meta_utf8', H(b'<meta http-equiv="Content-Type" content="text/html; charset=utf-8">', b'hi'))
w('m05_meta_nohttpequiv', H(b'<meta name="x" content="text/html; charset=koi8-r">', b'hi'))
w('m06_meta_sjis_spaces', H(b'<meta http-equiv="Content-Type" content="text/html; charset = Shift_JIS">', b'hi'))
w('m07_meta_charset_only', H(b'<meta charset="koi8-r">', b'hi'))
