package sim

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// capture writes segments as pcapng: one interface per host (in the order hosts were added,
// named after the host), Ethernet/IPv4/TCP frames with coherent sequence numbers and valid
// checksums, virtual timestamps. A segment is recorded once: on the receiving host's
// interface when it arrives, or on the sending host's interface when the network lost it
// (the retransmission then shows as a second copy). Section and interface options are set
// explicitly, so the bytes depend on nothing but the run (gopacket's defaults embed
// GOOS/GOARCH).
type capture struct {
	out  io.Writer
	ng   *pcapgo.NgWriter
	sbuf gopacket.SerializeBuffer
}

var sectionInfo = pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
	Hardware:    "primlab virtual network",
	OS:          "primlab sim",
	Application: "primlab",
	Comment:     "deterministic simulation; timestamps are virtual",
}}

func (p *capture) addInterface(w *World, h *Host) {
	intf := pcapgo.NgInterface{
		Name:                h.cfg.Name,
		Description:         h.ip.String(),
		OS:                  "primlab sim",
		LinkType:            layers.LinkTypeEthernet,
		TimestampResolution: 9,
	}
	if p.ng == nil {
		ng, err := pcapgo.NewNgWriterInterface(p.out, intf, sectionInfo)
		if err != nil {
			w.setErr(fmt.Errorf("sim: starting capture: %w", err))
			return
		}
		p.ng = ng
		p.sbuf = gopacket.NewSerializeBuffer()
		return
	}
	if _, err := p.ng.AddInterface(intf); err != nil {
		w.setErr(fmt.Errorf("sim: capture interface for %q: %w", h.cfg.Name, err))
	}
}

// segment records ev on host at's interface. A nil capture records nothing.
func (p *capture) segment(w *World, at *Host, ev event) {
	if p == nil || p.ng == nil {
		return
	}
	src, dst := &ev.conn.ends[ev.dir], &ev.conn.ends[1-ev.dir]
	sh, dh := src.host, dst.host
	sh.ipID++
	eth := layers.Ethernet{
		SrcMAC:       net.HardwareAddr(sh.mac[:]),
		DstMAC:       net.HardwareAddr(dh.mac[:]),
		EthernetType: layers.EthernetTypeIPv4,
	}
	sa, da := sh.ip.As4(), dh.ip.As4()
	ip := layers.IPv4{
		Version:  4,
		TTL:      64,
		Id:       sh.ipID,
		Flags:    layers.IPv4DontFragment,
		Protocol: layers.IPProtocolTCP,
		SrcIP:    net.IP(sa[:]),
		DstIP:    net.IP(da[:]),
	}
	tcp := layers.TCP{
		SrcPort: layers.TCPPort(src.port),
		DstPort: layers.TCPPort(dst.port),
		Seq:     ev.seq,
		Ack:     ev.ack,
		FIN:     ev.flags&flagFIN != 0,
		SYN:     ev.flags&flagSYN != 0,
		RST:     ev.flags&flagRST != 0,
		PSH:     ev.flags&flagPSH != 0,
		ACK:     ev.flags&flagACK != 0,
		Window:  65535,
	}
	if !tcp.ACK {
		tcp.Ack = 0
	}
	if tcp.SYN {
		mss := uint16(w.cfg.MSS)
		tcp.Options = []layers.TCPOption{{
			OptionType: layers.TCPOptionKindMSS, OptionLength: 4,
			OptionData: []byte{byte(mss >> 8), byte(mss)},
		}}
	}
	if err := tcp.SetNetworkLayerForChecksum(&ip); err != nil {
		w.setErr(fmt.Errorf("sim: capture: %w", err))
		return
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(p.sbuf, opts, &eth, &ip, &tcp, gopacket.Payload(ev.data)); err != nil {
		w.setErr(fmt.Errorf("sim: capture: encoding segment: %w", err))
		return
	}
	frame := p.sbuf.Bytes()
	ci := gopacket.CaptureInfo{
		Timestamp:      w.start.Add(time.Duration(w.now)),
		CaptureLength:  len(frame),
		Length:         len(frame),
		InterfaceIndex: at.index,
	}
	if err := p.ng.WritePacket(ci, frame); err != nil {
		w.setErr(fmt.Errorf("sim: capture: %w", err))
	}
}
