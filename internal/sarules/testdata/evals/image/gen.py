import base64, struct, os
D=os.path.dirname(os.path.abspath(__file__))
def gif(w,h,ver=b'89a'): return b'GIF'+ver+struct.pack('<HHBBB',w,h,0xf7,0,0)+b'\x00'*30+b';'
def chunk(t,d): return struct.pack('>I',len(d))+t+d+b'\x00\x00\x00\x00'
def png(w,h,pre=b''): return b'\x89PNG\r\n\x1a\n'+pre+chunk(b'IHDR',struct.pack('>IIBBBBB',w,h,8,2,0,0,0))+chunk(b'IDAT',b'x'*40)+chunk(b'IEND',b'')
def seg(m,d): return b'\xff'+bytes([m])+struct.pack('>H',len(d)+2)+d
def jpeg(w,h,sof=0xC0,pre=b''): return b'\xff\xd8'+pre+seg(0xE0,b'JFIF\x00'+b'\x01'*9)+seg(sof,struct.pack('>BHHB',8,h,w,3)+b'\x01'*9)+seg(0xDA,b'\x00'*10)+b'\xff\xd9'
def b64(b,width=76):
    s=base64.b64encode(b).decode()
    return '\n'.join(s[i:i+width] for i in range(0,len(s),width))
def msg(name, parts, text='Hello there, see the picture.', html=None, subject='pictures'):
    bd='BOUNDARY42'
    out=[f'From: a@example.com\nTo: b@example.org\nSubject: {subject}\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <x{name}@example.com>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{bd}"\n\n']
    out.append(f'--{bd}\nContent-Type: text/plain; charset=us-ascii\n\n{text}\n')
    if html is not None:
        out.append(f'--{bd}\nContent-Type: text/html; charset=us-ascii\n\n{html}\n')
    for ct, cte, data, extra in parts:
        body = b64(data) if isinstance(data, bytes) else data
        out.append(f'--{bd}\nContent-Type: {ct}\nContent-Transfer-Encoding: {cte}\n{extra}\n{body}\n')
    out.append(f'--{bd}--\n')
    open(os.path.join(D,name+'.eml'),'w').write(''.join(out))
B='base64'
msg('01_gif1',[('image/gif; name="logo.gif"',B,gif(100,50),'')])
msg('02_gif2',[('image/gif',B,gif(500,400),''),('image/gif',B,gif(300,200),'')])
msg('03_png2',[('image/png; name=a.png',B,png(600,400),''),('image/png',B,png(300,300),'')])
msg('04_png1big',[('image/png',B,png(500,400),'Content-Disposition: inline; filename="photo.png"\n')])
msg('05_jpeg1',[('image/jpeg',B,jpeg(800,600),'Content-Disposition: attachment; filename="photo.jpg"\n')])
msg('06_jpg',[('image/jpg',B,jpeg(640,480,0xC2,seg(0xE1,b'E'*3000)),'')])
msg('07_JPEG_upper',[('IMAGE/JPEG',B,jpeg(200,200),''),('image/pjpeg',B,jpeg(200,200),'')])
msg('08_noseminame',[('image/gif name="x.gif"',B,gif(320,240),'')])
msg('09_not_b64',[('image/gif','7bit','GIF89a\x10\x00\x10\x00','')])
msg('10_badsig',[('image/gif',B,b'GIF90a'+gif(100,100)[6:],''),('image/png',B,b'\x89PNX'+png(10,10)[4:],''),('image/jpeg',B,b'\xff\xd9'+jpeg(5,5)[2:],'')])
# png with a chunk before IHDR whose data length is not a multiple of 8
msg('11_png_quirk',[('image/png',B,png(700,700,chunk(b'tEXt',b'abcde')),'')])
msg('12_png_quirk2',[('image/png',B,png(700,700,chunk(b'tEXt',b'abcdefgh')),'')])
# jpeg with fill bytes before a marker
msg('13_jpeg_fill',[('image/jpeg',B,b'\xff\xd8\xff\xff'+jpeg(300,300)[2:],'')])
# '=' in the middle of the base64
g=gif(640,480)
msg('14_b64_mideq',[('image/gif',B,b64(g[:7])+'\n'+b64(g[7:]),'')])
msg('15_upper_cte',[('image/gif','BASE64',gif(640,480),'')])
# big image, little text: ratio rules
msg('16_ratio',[('image/gif',B,gif(800,600),'')],text='hi',html='<html><body><p>Buy now</p><img src="cid:x"></body></html>')
msg('17_ratio_more',[('image/png',B,png(200,150),'')],text='hello '*200)
msg('18_zero_dim',[('image/gif',B,gif(0,100),''),('image/png',B,png(10,0),'')])
msg('19_truncated',[('image/gif',B,gif(10,10)[:8],''),('image/png',B,png(10,10)[:20],''),('image/jpeg',B,jpeg(10,10)[:30],'')])
msg('20_jpeg_sof_short',[('image/jpeg',B,b'\xff\xd8'+seg(0xC0,b'\x08\x00\x10'),'')])
# odd base64 (not whole quads): fallback decoder
msg('21_b64_odd',[('image/gif',B,b64(gif(123,45))+'Q','')])
msg('22_b64_odd_mideq',[('image/gif',B,b64(g[:7])+'\n'+b64(g[7:])+'Q','')])
msg('23_gif87',[('image/gif',B,gif(90,80,b'87a'),'')])
msg('24_png_big',[('image/png',B,png(70000,70000),'')])
msg('25_nested',[('multipart/related; boundary="inner"','7bit','--inner\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n'+b64(png(400,500))+'\n--inner\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\n'+b64(gif(12,34))+'\n--inner--','')])
msg('26_none',[])
msg('27_size_range',[('image/jpeg',B,jpeg(600,400),''),('image/gif',B,gif(50,100),'')])
msg('28_name2231',[('image/gif; name*0="pho"; name*1="to.gif"',B,gif(20,20),'')])
msg('29_cd_name',[('image/gif; name="other.gif"',B,gif(21,21),'Content-Disposition: inline; filename=logo.gif\n')])
