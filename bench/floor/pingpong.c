/*
 * pingpong: the loopback TCP latency floor of this machine, for comparison with the e2e
 * order-entry benchmark (PERFORMANCE.md, 12:54 entry). C11 + POSIX, Linux epoll/timerfd.
 *
 *   cc -O2 -o build/pingpong bench/floor/pingpong.c
 *   build/pingpong server PORT &            # echoes every read back, TCP_NODELAY
 *   build/pingpong client PORT RATE SECS [BATCH_US]
 *
 * The client plans message k (40 bytes) at start + k/RATE (open loop, a timerfd armed at the
 * next planned time, never spinning), sends all messages due at a tick in one write, and at
 * most one tick per BATCH_US (0 = a write per message); both sides block in epoll. Each echo
 * is timed from its planned send time (corrected) and its actual send (uncorrected); one
 * line: p50/p90/p99/p99.9/max in µs. Same send batching as the native order generator
 * (400 µs), no server work: what the network path and the VM's wake-ups cost alone.
 * Exit 1 if the client cannot connect. Memory: 32 bytes per planned message.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/prctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
static int64_t now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000000000LL+t.tv_nsec;}
static int cmp(const void*a,const void*b){int64_t x=*(int64_t*)a,y=*(int64_t*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  if(argc<3||(strcmp(argv[1],"server")&&argc<5)){fprintf(stderr,"usage: pingpong server PORT | pingpong client PORT RATE SECS [BATCH_US]\n");return 2;}
  int port=atoi(argv[2]);
  prctl(PR_SET_TIMERSLACK,1);
  if(!strcmp(argv[1],"server")){
    int l=socket(AF_INET,SOCK_STREAM,0),one=1; setsockopt(l,SOL_SOCKET,SO_REUSEADDR,&one,4);
    struct sockaddr_in a={.sin_family=AF_INET,.sin_port=htons(port),.sin_addr.s_addr=htonl(0x7f000001)};
    bind(l,(void*)&a,sizeof a); listen(l,1); int c=accept(l,0,0); setsockopt(c,IPPROTO_TCP,TCP_NODELAY,&one,4);
    char b[65536]; for(;;){ssize_t n=read(c,b,sizeof b); if(n<=0)return 0; write(c,b,n);} }
  double rate=atof(argv[3]); int secs=atoi(argv[4]); int64_t batch=argc>5?atoll(argv[5])*1000:0; int64_t lastTick=0;
  int s=socket(AF_INET,SOCK_STREAM,0),one=1; struct sockaddr_in a={.sin_family=AF_INET,.sin_port=htons(port),.sin_addr.s_addr=htonl(0x7f000001)};
  if(connect(s,(void*)&a,sizeof a)){perror("connect");return 1;} setsockopt(s,IPPROTO_TCP,TCP_NODELAY,&one,4);
  long N=(long)(rate*secs); int64_t *planned=calloc(N,8),*lat=calloc(N,8),*unc=calloc(N,8),*sent=calloc(N,8);
  int tf=timerfd_create(CLOCK_MONOTONIC,0), ep=epoll_create1(0);
  struct epoll_event e={.events=EPOLLIN,.data.u32=1}; epoll_ctl(ep,EPOLL_CTL_ADD,s,&e); e.data.u32=2; epoll_ctl(ep,EPOLL_CTL_ADD,tf,&e);
  int64_t t0=now()+10000000; long next=0,got=0; char msg[40]; memset(msg,'x',40); char rb[65536]; size_t pend=0;
  while(got<N){
    if(next<N){int64_t p=t0+(int64_t)(next*1e9/rate); if(batch&&p<lastTick+batch)p=lastTick+batch; struct itimerspec it={0}; it.it_value.tv_sec=p/1000000000; it.it_value.tv_nsec=p%1000000000; timerfd_settime(tf,TFD_TIMER_ABSTIME,&it,0);}
    struct epoll_event ev[4]; int k=epoll_wait(ep,ev,4,1000);
    for(int i=0;i<k;i++){
      if(ev[i].data.u32==2){uint64_t x; read(tf,&x,8); int64_t t=now(); static char wb[65536*4]; size_t wl=0; while(next<N && t0+(int64_t)(next*1e9/rate)<=t && wl<sizeof wb-40){planned[next]=t0+(int64_t)(next*1e9/rate); sent[next]=t; memcpy(wb+wl,msg,40); wl+=40; next++;} if(wl){write(s,wb,wl); lastTick=t;}}
      else {ssize_t n=read(s,rb,sizeof rb); int64_t t=now(); pend+=n; while(pend>=40){lat[got]=t-planned[got]; unc[got]=t-sent[got]; got++; pend-=40;}}
    }
  }
  qsort(lat,N,8,cmp); qsort(unc,N,8,cmp);
  printf("rate %.0f n %ld  corrected p50 %.0f p90 %.0f p99 %.0f p99.9 %.0f max %.0f us | uncorrected p50 %.0f p99 %.0f\n",rate,N,lat[N/2]/1e3,lat[N*9/10]/1e3,lat[N*99/100]/1e3,lat[N*999/1000]/1e3,lat[N-1]/1e3,unc[N/2]/1e3,unc[N*99/100]/1e3);
  return 0;}
