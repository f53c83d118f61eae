import socket, struct, sys, time
def name(n):
    out=b''
    for p in n.rstrip('.').split('.'):
        out+=bytes([len(p)])+p.encode()
    return out+b'\x00'
def q(id_, n, t, rd=True):
    flags=0x0100 if rd else 0
    return struct.pack('>HHHHHH', id_, flags, 1,0,0,0)+name(n)+struct.pack('>HH', t, 1)
def resp(id_, n, t, answers, rcode=0, aa=True, ra=True):
    flags=0x8000|0x0100|(0x0400 if aa else 0)|(0x0080 if ra else 0)|rcode
    body=struct.pack('>HHHHHH', id_, flags, 1,len(answers),0,0)+name(n)+struct.pack('>HH', t, 1)
    for (at, data) in answers:
        if at==1: rd=socket.inet_aton(data)
        elif at==28: rd=socket.inet_pton(socket.AF_INET6, data)
        elif at==5: rd=name(data)
        body+=b'\xc0\x0c'+struct.pack('>HHIH', at, 1, 300, len(rd))+rd
    return body
mode=sys.argv[1]
if mode=='server':
    s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('10.53.0.2',53))
    table={1:('example.com',1,[(1,'192.0.2.1')]),2:('example.com',28,[(28,'2001:db8::1')]),3:('nosuch.example',1,[]),4:('www.example.com',1,[(5,'example.com'),(1,'192.0.2.1'),(1,'192.0.2.2')])}
    for _ in range(4):
        data,addr=s.recvfrom(512)
        id_=struct.unpack('>H',data[:2])[0]
        n,t,ans=table[id_&7]
        s.sendto(resp(id_,n,t,ans,rcode=3 if not ans else 0),addr)
else:
    c=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.bind(('10.53.0.1',40000)); c.settimeout(2)
    for id_,(n,t) in [(0x1231,('example.com',1)),(0x1232,('example.com',28)),(0x1233,('nosuch.example',1)),(0x1234,('www.example.com',1))]:
        c.sendto(q(id_,n,t),('10.53.0.2',53)); c.recvfrom(512); time.sleep(0.05)
