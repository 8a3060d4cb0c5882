import base64, os
D=os.path.dirname(os.path.abspath(__file__))
H='Date: Mon, 1 Jan 2024 00:00:00 +0000\nMIME-Version: 1.0\n'
def w(name, s):
    open(os.path.join(D, name+'.eml'), 'w', newline='').write(s)
def hdr(frm='a@example.com', to='b@example.org', subj='test', extra='', mid='<m1@example.com>'):
    return f'From: {frm}\nTo: {to}\nSubject: {subj}\nMessage-ID: {mid}\n{H}{extra}'
def b64lines(data, width):
    s = base64.b64encode(data).decode()
    return '\n'.join(s[i:i+width] for i in range(0, len(s), width))
def mp(parts, typ='mixed', h=None):
    bd = 'XBOUNDX'
    out = (h or hdr()) + f'Content-Type: multipart/{typ}; boundary="{bd}"\n\n'
    for p in parts:
        out += f'--{bd}\n{p}\n'
    return out + f'--{bd}--\n'
data = bytes(range(256))*40
# base64 line lengths
w('b01_76', mp(['Content-Type: text/plain\n\nhi', 'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'+b64lines(data,76)]))
w('b02_78', mp(['Content-Type: text/plain\n\nhi', 'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'+b64lines(data,78)]))
w('b03_77', mp(['Content-Type: text/plain\n\nhi', 'Content-Type: application/pdf\nContent-Transfer-Encoding: Base64\n\n'+b64lines(data,77)]))
w('b04_single3000', hdr()+'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'+b64lines(data,3000)+'\n')
w('b05_multi3000', mp(['Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'+b64lines(data,3000)]))
w('b06_last2048', mp(['Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'+b64lines(data[:1536],2048)]))
w('b07_last2047', mp(['Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'+b64lines(data[:1535],2048)]))
w('b08_ics', mp(['Content-Type: text/plain\n\nhi', 'Content-Type: application/ics\nContent-Transfer-Encoding: base64\n\n'+b64lines(data,100)]))
w('b09_notb64', mp(['Content-Type: text/plain\n\n'+'x'*100]))
w('b10_crlf', (mp(['Content-Type: text/plain\n\nhi', 'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'+b64lines(data,76)])).replace('\n','\r\n'))
w('b11_text_b64', hdr()+'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n'+b64lines(b'hello world '*40, 78)+'\n')
w('b12_single_2048', hdr()+'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'+b64lines(data[:1536],2048)+'\n')
# multipart/alternative children
alt = lambda kids: mp(kids, 'alternative')
w('m01_alt_text', alt(['Content-Type: text/plain\n\nhi', 'Content-Type: text/html\n\n<p>hi</p>']))
w('m02_alt_img', alt(['Content-Type: text/plain\n\nhi', 'Content-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=']))
w('m03_alt_rtf', alt(['Content-Type: text/plain\n\nhi', 'Content-Type: Application/RTF\n\n{\\rtf1}']))
w('m04_alt_related', alt(['Content-Type: text/plain\n\nhi', 'Content-Type: multipart/related; boundary="inner"\n\n--inner\nContent-Type: text/html\n\n<p>x</p>\n--inner\nContent-Type: image/png\n\nPNG\n--inner--']))
w('m05_alt_calendar', alt(['Content-Type: text/plain\n\nhi', 'Content-Type: text/calendar\n\nBEGIN:VCALENDAR']))
w('m06_alt_octet', alt(['Content-Type: text/plain\n\nhi', 'Content-Type: application/octet-stream\n\nxxxx']))
w('m07_mixed_img', mp(['Content-Type: text/plain\n\nhi', 'Content-Type: image/gif\n\nGIF89a']))
w('m08_alt_notype', alt(['Content-Type: text/plain\n\nhi', 'Content-Disposition: inline\n\nno type here']))
w('m09_alt_rfc822', alt(['Content-Type: text/plain\n\nhi', 'Content-Type: message/rfc822\n\nFrom: x@y.com\nSubject: inner\n\nbody']))
w('m10_alt_nested_mixed_noboundary', alt(['Content-Type: text/plain\n\nhi', 'Content-Type: multipart/mixed\n\nstuff']))
# blank lines
w('l01_blanks', hdr()+'Content-Type: text/plain\n\n'+'a\n'+'\n'*8+'b\n')
w('l02_fewblanks', hdr()+'Content-Type: text/plain\n\n'+'line\n'*20+'\n')
w('l03_three_lines', hdr()+'Content-Type: text/plain\n\na\n\n\n')
w('l04_spaces', hdr()+'Content-Type: text/plain\n\n'+'x\n'+' \t\n'*17+'y\nz\n')
w('l05_half', hdr()+'Content-Type: text/plain\n\n'+'x\n\n'*10)
w('l06_empty', hdr()+'Content-Type: text/plain\n\n')
w('l07_html', mp(['Content-Type: text/html\n\n<p>x</p>\n\n\n\n\n\n\n\n\n\n<p>y</p>\n']))
# stock
w('s01_stock', hdr()+'Content-Type: text/plain\n\nHot pick!\nSymbol: ABCD\nCurrent Price: $0.12\nTarget: $1.00\nRating: Strong Buy\n')
w('s02_stock2', hdr()+'Content-Type: text/plain\n\n  Company Name : Foo Corp\n  Sector: Energy\nnothing: here\n')
w('s03_stock_html_only', mp(['Content-Type: text/html\n\n<p>Symbol: ABCD</p><p>Target: 1</p><p>Sector: x</p>']))
w('s04_stock_second', mp(['Content-Type: text/plain\n\nhello', 'Content-Type: text/plain\n\nSymbol: X\nTarget: 2\nSector: y\n']))
w('s05_stock_weird', hdr()+'Content-Type: text/plain\n\nS-t-o-c-k: yes\n5 Day Target: 3\nWeeks High: 4\nTicker:ABC\n')
w('s06_stock_named_html', hdr()+'Content-Type: text/plain; name="x.html"\n\n<p>Symbol: ABCD</p>\n<p>Target: 1</p>\n')
w('s07_stock_latin1', hdr()+'Content-Type: text/plain; charset=iso-8859-1\n\n'+'\xe9'*27+'Target: 1\nSymbol: 2\n'.encode().decode())
# headers
w('h01_unres', hdr(extra='X-Mailer: %MAILER_NAME v1\n')+'\nbody\n')
w('h02_unres_subject', hdr(subj='Hi %FIRST_NAME')+'\nbody\n')
w('h03_unres_to', hdr(to='%TO_EMAIL')+'\nbody\n')
w('h04_unres_lower', hdr(extra='X-Foo: %first_name\n')+'\nbody\n')
w('h05_unres_msgid', hdr(extra='X-Original-Message-Id: %MSGID\nResent-Message-ID: %RID\n')+'\nbody\n')
w('h06_ratware_nameid', hdr(frm='"John Doe" <john@example.com>', mid='<ABCDEFGHIJKLMNOPQRSTUVWXYZAB.john@example.com>')+'\nbody\n')
w('h07_ratware_nameid_no', hdr(frm='"John Doe" <jack@example.com>', mid='<ABCDEFGHIJKLMNOPQRSTUVWXYZAB.john@example.com>')+'\nbody\n')
w('h08_ratware_nameid_27', hdr(frm='"John" <john@example.com>', mid='<ABCDEFGHIJKLMNOPQRSTUVWXYZA.john@example.com>')+'\nbody\n')
w('h09_efrom', hdr(to='bob@example.com', extra='Return-Path: <example.com-bob@spam.biz>\n')+'\nbody\n')
w('h10_efrom_couk', hdr(to='Bob <bob@mail.foo.co.uk>', extra='Return-Path: <x.foo.co.uk_bob@spam.biz>\n')+'\nbody\n')
w('h11_efrom_srs', hdr(to='bob@example.com', extra='Return-Path: <SRS0=abc=example.com.bob@spam.biz>\n')+'\nbody\n')
w('h12_efrom_badtld', hdr(to='bob@example.zzzq', extra='Return-Path: <example.zzzq.bob@spam.biz>\n')+'\nbody\n')
w('h13_efrom_nomatch', hdr(to='bob@example.com', extra='Return-Path: <bob@example.com>\n')+'\nbody\n')
w('h14_efrom_case', hdr(to='Bob@Example.COM', extra='Return-Path: <xEXAMPLE.COM+BOB@spam.biz>\n')+'\nbody\n')
w('h15_efrom_wordb', hdr(to='bob@example.com', extra='Return-Path: <myexample.com.bob@spam.biz>\n')+'\nbody\n')
R=lambda s: f'Received: {s}\n'
w('r01_aol', hdr(extra=R('from unknown (HELO mta05bw.bigpond.com) (80.71.176.130) by rly-xw01.mx.aol.com with QMQP; Sat, 15 Jun 2002 23:37:16 -0000'))+'\nbody\n')
w('r02_aol_ok', hdr(extra=R('from logs-tr.proxy.aol.com (logs-tr.proxy.aol.com [152.163.201.132])\n\tby rly-ip01.mx.aol.com (8.8.8/8.8.8/AOL-5.0.0)\n\twith ESMTP id NAA08955 for <x@y.com>; Thu, 4 Apr 2002 13:11:20 -0500 (EST)'))+'\nbody\n')
w('r03_aol_ok2', hdr(extra=R('from rly-xj02.mx.aol.com (rly-xj02.mail.aol.com [172.20.116.39]) by omr-r05.mx.aol.com (v83.35) with ESMTP id RELAYIN7-0501132011; Wed, 01 May 2002 13:20:11 -0400'))+'\nbody\n')
w('r04_eudora', hdr(frm='x@eudoramail.com', extra=R('from Unknown/Local ([?.?.?.?]) by shared1-mail.whowhere.com; Thu Nov 29 13:44:25 2001')+'X-Sender-Ip: 192.175.21.146\n')+'\nbody\n')
w('r05_eudora_noip', hdr(frm='x@eudoramail.com', extra=R('from Unknown/Local ([?.?.?.?]) by shared1-mail.whowhere.com; Thu Nov 29 13:44:25 2001'))+'\nbody\n')
w('r06_gmail', hdr(frm='Joe <joe@gmail.com>', extra=R('from mail.spam.biz (mail.spam.biz [64.12.34.56]) by mx.example.org with SMTP id x; Mon, 1 Jan 2024 00:00:00 +0000'))+'\nbody\n')
w('r07_gmail_xrcvd', hdr(frm='joe@gmail.com', extra='X-Received: by 10.28.1.2 with SMTP id abc123;\n        Mon, 1 Jan 2024 00:00:00 -0800 (PST)\n')+'\nbody\n')
w('r08_gmail_hdrs59', hdr(frm='joe@gmail.com', extra='X-Gm-Message-State: '+'A'*59+'\nX-Google-Smtp-Source: '+'B'*59+'\n')+'\nbody\n')
w('r09_gmail_hdrs58', hdr(frm='joe@gmail.com', extra='X-Gm-Message-State: '+'A'*58+'\nX-Google-Smtp-Source: '+'B'*70+'\n')+'\nbody\n')
w('r10_gmail_esmtpsa', hdr(frm='joe@gmail.com', extra=R('from [10.0.0.2] (x.example.com. [64.12.34.56])\n        by smtp.googlemail.com with ESMTPSA id abc.1.2\n        for <x@y.com>; Mon, 1 Jan 2024 00:00:00 -0800 (PST)'))+'\nbody\n')
w('r11_gmail_2002', hdr(frm='joe@googlemail.gmail.com', extra='X-Received: by 2002:a17:90a:1234:: with SMTP id x12mr;\n')+'\nbody\n')
w('r12_juno', hdr(frm='j@juno.com')+'\nbody\n')
w('r13_juno_ok', hdr(frm='j@juno.com', extra=R('from m1.juno.com (m1.juno.com [64.136.1.1]) by mx.example.org with SMTP id z; Mon, 1 Jan 2024 00:00:00 +0000')+'X-Originating-IP: 1.2.3.4\nX-Mailer: Juno 5.0.33\n')+'\nbody\n')
w('r14_juno_badmailer', hdr(frm='j@juno.com', extra=R('from m1.juno.com (m1.juno.com [64.136.1.1]) by mx.example.org with SMTP id z; Mon, 1 Jan 2024 00:00:00 +0000')+'X-Originating-IP: 1.2.3.4\nX-Mailer: Outlook\n')+'\nbody\n')
w('r15_juno_cookie', hdr(frm='j@juno.com', extra=R('from x (x [64.1.1.1]) by cookie.juno.com with SMTP id z; Mon, 1 Jan 2024 00:00:00 +0000')+'X-Originating-IP: 1.2.3.4\nX-Mailer: Juno 5\n')+'\nbody\n')
w('r16_juno_webmail', hdr(frm='j@juno.com', extra=R('from webmail12.untd.com (webmail12.untd.com [64.136.2.2]) by mx.example.org with SMTP id z; Mon, 1 Jan 2024 00:00:00 +0000')+'X-Mailer: Webmail Version 1\n')+'\nbody\n')
trail = lambda rs: ''.join(R(x) for x in rs)
w('t01_trail', hdr(extra=trail(['from mx1.relay-a.com (mx1.relay-a.com [64.12.34.5]) by mx.dest.org with ESMTP id A1; Mon, 1 Jan 2024 00:00:03 +0000',
 'from h2.relay-b.net (h2.relay-b.net [65.51.100.7]) by mx9.other-c.com with ESMTP id B2; Mon, 1 Jan 2024 00:00:02 +0000',
 'from h3.relay-d.com (h3.relay-d.com [66.0.2.9]) by h2.another-e.com with SMTP id C3; Mon, 1 Jan 2024 00:00:01 +0000']))+'\nbody\n')
w('t02_trail_ok', hdr(extra=trail(['from mx1.relay-a.com (mx1.relay-a.com [64.12.34.5]) by mx.dest.org with ESMTP id A1; Mon, 1 Jan 2024 00:00:03 +0000',
 'from h2.relay-b.net (h2.relay-b.net [65.51.100.7]) by out.relay-a.com with ESMTP id B2; Mon, 1 Jan 2024 00:00:02 +0000',
 'from h3.relay-d.com (h3.relay-d.com [66.0.2.9]) by smtp.relay-b.net with SMTP id C3; Mon, 1 Jan 2024 00:00:01 +0000']))+'\nbody\n')
w('t03_trail_one', hdr(extra=trail(['from mx1.relay-a.com (mx1.relay-a.com [64.12.34.5]) by mx.dest.org with ESMTP id A1; Mon, 1 Jan 2024 00:00:03 +0000',
 'from h2.relay-b.net (h2.relay-b.net [65.51.100.7]) by mx9.other-c.com with ESMTP id B2; Mon, 1 Jan 2024 00:00:02 +0000',
 'from h3.relay-d.com (h3.relay-d.com [66.0.2.9]) by h2.relay-b.net with SMTP id C3; Mon, 1 Jan 2024 00:00:01 +0000']))+'\nbody\n')
w('t04_trail_msn', hdr(extra=trail(['from mx1.hotmail.com (mx1.hotmail.com [64.12.34.5]) by mx.dest.org with ESMTP id A1; Mon, 1 Jan 2024 00:00:03 +0000',
 'from h2.relay-b.net (h2.relay-b.net [65.51.100.7]) by x.msn.com with ESMTP id B2; Mon, 1 Jan 2024 00:00:02 +0000',
 'from h3.relay-d.com (h3.relay-d.com [66.0.2.9]) by h2.another.co.uk with SMTP id C3; Mon, 1 Jan 2024 00:00:01 +0000',
 'from h4.relay-q.com (h4.relay-q.com [67.0.2.9]) by h4.yetanother.de with SMTP id C4; Mon, 1 Jan 2024 00:00:00 +0000']))+'\nbody\n')
w('s08_stock_utf8_chars', hdr()+'Content-Type: text/plain; charset=utf-8\n\n'+'\u00e9'*13+'Symbol: 1\n'+'\u00e9'*13+'Sector: 2\n')
w('s09_stock_utf8_long', hdr()+'Content-Type: text/plain; charset=utf-8\n\n'+'\u00e9'*25+'Symbol: 1\n'+'\u00e9'*25+'Sector: 2\n')
w('h16_efrom_case2', hdr(to='Bob@Example.COM', extra='Return-Path: <EXAMPLE.COM+BOB@spam.biz>\n')+'\nbody\n')
w('h17_efrom_us', hdr(to='bob@mail.ci.boston.ma.us', extra='Return-Path: <x-ci.boston.ma.us-bob@spam.biz>\n')+'\nbody\n')
w('l08_squash', hdr()+'Content-Type: text/plain\n\n'+'a\n'+'\n'*30+'b\n'+'c\n'*9)
w('l09_squash_lead', hdr()+'Content-Type: text/plain\n\n'+'\n'*30+'b\n'+'c\n'*9)
w('l10_squash_spaces', hdr()+'Content-Type: text/plain\n\n'+'a\n'+' \n'*22+'b\n'+'c\n'*40)
w('l11_squash_mime', mp(['Content-Type: text/plain\n\n'+'a\n'+'\n'*25+'b\n'+'c\n'*30, 'Content-Type: text/plain\n\nmore\n'+'\n'*21+'x\n']))
